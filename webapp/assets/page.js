// Small behaviours every page may use, wired by data attributes instead of inline
// handlers: the Content-Security-Policy allows no inline script.
//   <select data-autosubmit>   submits its form when changed (inbox theme filter)
//   <button data-print>        prints the page (一次告知书)
//   <form data-confirm="…">    asks before submitting (a password reset ends sessions)

function wire() {
  for (const element of document.querySelectorAll('[data-autosubmit]')) {
    element.addEventListener('change', () => element.form && element.form.submit());
  }
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  for (const button of document.querySelectorAll('[data-print]')) {
    button.addEventListener('click', () => window.print());
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', wire);
} else {
  wire();
}
