// DMN decision editor (dmn-js). Minimal: loads a diagram, the page decides
// what to do with it (no save protocol has been defined yet).
//
//   <div id="dmn-canvas" data-xml-url="/…/dmn"></div>
//
// Exposed: window.yjsDmnModeler (the DmnModeler instance),
//          window.yjsDmnModelerReady (Promise, resolves with {ok: true|false}).
// The container carries data-state="loading|ready|error"; a load error is
// shown in #dmn-status when present (else inside the container).

import DmnModeler from 'dmn-js/lib/Modeler';

function init() {
  const container = document.getElementById('dmn-canvas');
  if (!container) {
    return;
  }
  const statusEl = document.getElementById('dmn-status');
  const modeler = new DmnModeler({ container });
  window.yjsDmnModeler = modeler;

  async function load() {
    container.dataset.state = 'loading';
    try {
      const xmlUrl = container.dataset.xmlUrl;
      if (!xmlUrl) {
        throw new Error('缺少 data-xml-url');
      }
      const response = await fetch(xmlUrl, { credentials: 'same-origin' });
      if (!response.ok) {
        throw new Error('服务器返回错误（HTTP ' + response.status + '）');
      }
      const { warnings } = await modeler.importXML(await response.text());
      if (warnings && warnings.length) {
        console.warn('DMN import warnings', warnings);
      }
      const viewer = modeler.getActiveViewer();
      if (viewer && modeler.getActiveView().type === 'drd') {
        viewer.get('canvas').zoom('fit-viewport', 'auto');
      }
      container.dataset.state = 'ready';
      return { ok: true };
    } catch (err) {
      console.error('DMN import failed', err);
      container.dataset.state = 'error';
      const text = '决策表无法加载：' + ((err && err.message) || String(err));
      if (statusEl) {
        statusEl.textContent = text;
      } else {
        const p = document.createElement('p');
        p.className = 'bpmn-viewer-error';
        p.textContent = text;
        container.appendChild(p);
      }
      return { ok: false, error: err };
    }
  }

  window.yjsDmnModelerReady = load();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', init);
} else {
  init();
}
