// Material files (一套材料): check a chosen file in the browser before it is sent, then
// upload it at once. The server checks again, by content (webapp/materials/files.py);
// this only spares the applicant a round trip with a 20 MB photo or a Word document.
//
//   <input type="file" data-max-bytes="5242880" data-limits="单个文件不能超过 5 MB，…"
//          data-upload-button="upload-CODE" accept="application/pdf,…">
//   <p class="error" data-file-error hidden></p>   (the same material's error line)
//
// Without this script the 上传 button next to each input does the same, checked by the
// server only.

const TYPES = new Map([
  ['application/pdf', '.pdf'],
  ['image/png', '.png'],
  ['image/jpeg', '.jpg'],
]);
const EXTENSIONS = ['.pdf', '.png', '.jpg', '.jpeg'];

function problem(file, maxBytes, limits) {
  if (file.size === 0) return `文件为空：${limits}`;
  if (file.size > maxBytes) return `文件过大（${(file.size / 1048576).toFixed(1)} MB）：${limits}`;
  const name = file.name.toLowerCase();
  const typeOk = TYPES.has(file.type) || (!file.type && EXTENSIONS.some((e) => name.endsWith(e)));
  if (!typeOk) return `文件类型不支持：${limits}`;
  return null;
}

function errorLine(input) {
  const holder = input.closest('[data-material]');
  return holder ? holder.querySelector('[data-file-error]') : null;
}

function wire() {
  for (const input of document.querySelectorAll('input[type=file][data-max-bytes]')) {
    input.addEventListener('change', () => {
      const line = errorLine(input);
      const file = input.files && input.files[0];
      if (!file) return;
      const message = problem(file, Number(input.dataset.maxBytes), input.dataset.limits);
      if (line) {
        line.textContent = message || '';
        line.hidden = !message;
      }
      input.closest('[data-material]')?.classList.toggle('field-error', Boolean(message));
      if (message) {
        input.value = ''; // nothing wrong is sent
        return;
      }
      const button = document.getElementById(input.dataset.uploadButton);
      if (button && input.form) input.form.requestSubmit(button);
    });
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', wire);
} else {
  wire();
}
