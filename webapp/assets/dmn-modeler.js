// DMN decision editor (dmn-js): the analysts' guidance tables (导办决策表).
//
//   <button id="save-guidance">保存草稿</button>
//   <ul id="validation-errors"></ul>
//   <div id="dmn-canvas" data-xml-url="/…/guidance.dmn" data-save-url="/api/…/drafts/guidance"
//        data-csrf-token="…"></div>
//
// Saving POSTs the XML; the server keeps the draft and answers {draft_id, valid, errors}
// with every problem in Chinese and the element it concerns.
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
      // Analysts come to edit the rules: open the decision table, not the diagram view.
      const table = modeler.getViews().find((view) => view.type === 'decisionTable');
      if (table) {
        await modeler.open(table);
      } else {
        const viewer = modeler.getActiveViewer();
        if (viewer && modeler.getActiveView().type === 'drd') {
          viewer.get('canvas').zoom('fit-viewport', 'auto');
        }
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

  const saveButton = document.getElementById('save-guidance');
  const errorsEl = document.getElementById('validation-errors');

  function setStatus(text, state) {
    if (statusEl) {
      statusEl.textContent = text;
      statusEl.dataset.state = state;
    }
  }

  function showErrors(errors) {
    if (!errorsEl) {
      return;
    }
    errorsEl.replaceChildren(
      ...errors.map((e) => {
        const li = document.createElement('li');
        li.textContent = (e.element_id ? '[' + e.element_id + '] ' : '') + (e.message || String(e));
        return li;
      }),
    );
  }

  async function save() {
    const saveUrl = container.dataset.saveUrl;
    if (!saveUrl) {
      return;
    }
    saveButton.disabled = true;
    setStatus('正在保存…', 'busy');
    try {
      const { xml } = await modeler.saveXML({ format: true });
      const response = await fetch(saveUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/xml',
          'X-CSRFToken': container.dataset.csrfToken || '',
          Accept: 'application/json',
        },
        body: xml,
        credentials: 'same-origin',
      });
      let result = null;
      try {
        result = await response.json();
      } catch (e) {
        result = null;
      }
      if (!response.ok) {
        setStatus('保存失败：' + ((result && result.message) || 'HTTP ' + response.status), 'error');
        return;
      }
      const errors = Array.isArray(result && result.errors) ? result.errors : [];
      showErrors(errors);
      if (result && result.valid === true) {
        setStatus('草稿 #' + result.draft_id + ' 已保存，校验通过', 'ok');
      } else {
        setStatus('草稿已保存，但有 ' + errors.length + ' 个问题，不能发布', 'warning');
      }
    } catch (err) {
      console.error('DMN save failed', err);
      setStatus('保存失败：' + ((err && err.message) || String(err)), 'error');
    } finally {
      saveButton.disabled = false;
    }
  }

  if (saveButton) {
    saveButton.addEventListener('click', (event) => {
      event.preventDefault();
      save();
    });
  }

  window.yjsDmnModelerReady = load();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', init);
} else {
  init();
}
