// BPMN modeler page for business analysts.
//
// Expected markup (all ids are fixed, the template provides them):
//
//   <div id="bpmn-canvas"
//        data-xml-url="/…/xml"          GET  -> BPMN 2.0 XML (text)
//        data-save-url="/…/drafts"      POST <- BPMN XML, -> JSON
//        data-csrf-token="…"></div>
//   <button id="save-draft">保存草稿</button>
//   <p id="save-status"></p>
//   <ul id="validation-errors"></ul>
//
// Save answer (200/201):
//   {"draft_id": 12, "valid": true|false,
//    "errors": [{"element_id": "Task_x" | null, "message": "…"}]}
// Error answer (4xx/5xx): {"code": "…", "message": "…"}
//
// Exposed for tests and other scripts:
//   window.yjsModeler       the BpmnModeler instance
//   window.yjsModelerReady  Promise resolved once the diagram import finished
//                           (resolves with {ok: true|false})
// The canvas element carries data-state="loading|ready|error" and
// data-dirty="true|false".
//
// Also on the canvas: data-yjs-choices (JSON: the theme's items, the known departments,
// the guidance variables) for the 一件事 properties group and the inline lint, and
// data-simulation-url, the path simulation fragment reloaded into #simulation-slot after
// each save. Clicking a path's row highlights its tasks on the diagram.

import BpmnModeler from 'bpmn-js/lib/Modeler';
import lintModule from 'bpmn-js-bpmnlint';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';

import { yjsLintConfig } from './modeler/yjs-lint';
import yjsModdle from './modeler/yjs-moddle';
import { yjsPropertiesModule } from './modeler/yjs-properties';
import translateZh from './modeler/translate-zh';

const ERROR_MARKER = 'validation-error';

function setStatus(statusEl, text, kind) {
  if (!statusEl) {
    return;
  }
  statusEl.textContent = text;
  statusEl.classList.remove('status-ok', 'status-warning', 'status-error', 'status-busy');
  if (kind) {
    statusEl.classList.add('status-' + kind);
  }
  statusEl.dataset.state = kind || '';
}

// Read an error message out of a failed response: prefer the server's
// {"code", "message"} JSON, fall back to the HTTP status.
async function responseErrorMessage(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (body && typeof body.message === 'string' && body.message) {
    return body.message;
  }
  return '服务器返回错误（HTTP ' + response.status + '）';
}

function init() {
  const container = document.getElementById('bpmn-canvas');
  if (!container) {
    return;
  }

  const xmlUrl = container.dataset.xmlUrl;
  const saveUrl = container.dataset.saveUrl;
  const csrfToken = container.dataset.csrfToken || '';

  const saveButton = document.getElementById('save-draft');
  const statusEl = document.getElementById('save-status');
  const errorList = document.getElementById('validation-errors');

  let choices = { items: [], departments: [], variables: [], front_desk: '' };
  try {
    choices = { ...choices, ...JSON.parse(container.dataset.yjsChoices || '{}') };
  } catch (e) {
    console.error('data-yjs-choices is not JSON', e);
  }
  const panel = document.getElementById('properties-panel');

  const modeler = new BpmnModeler({
    container,
    additionalModules: [
      translateZh,
      ...(panel ? [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule] : []),
      yjsPropertiesModule(choices),
      lintModule,
    ],
    moddleExtensions: { yjs: yjsModdle },
    // The 一件事 group open from the start: it is what analysts come to the panel for.
    propertiesPanel: panel ? { parent: panel, layout: { groups: { yjs: { open: true } } } } : undefined,
    linting: { bpmnlint: yjsLintConfig(choices), active: true },
  });
  window.yjsModeler = modeler;

  const canvas = modeler.get('canvas');
  const elementRegistry = modeler.get('elementRegistry');
  const selection = modeler.get('selection');
  const eventBus = modeler.get('eventBus');

  // ---- unsaved changes ---------------------------------------------------

  let changeSeq = 0; // bumped on every model change
  let savedSeq = 0; // changeSeq at the time of the last successful save

  function updateDirty() {
    container.dataset.dirty = changeSeq !== savedSeq ? 'true' : 'false';
  }

  function isDirty() {
    return changeSeq !== savedSeq;
  }

  eventBus.on('commandStack.changed', (event) => {
    // 'clear' is fired when a diagram is (re)imported: not a user change.
    if (event && event.trigger === 'clear') {
      return;
    }
    changeSeq += 1;
    updateDirty();
  });

  window.addEventListener('beforeunload', (event) => {
    if (isDirty()) {
      event.preventDefault();
      // Chrome and older browsers need returnValue set.
      event.returnValue = '';
      return '';
    }
    return undefined;
  });

  updateDirty();

  // ---- validation markers and error list -----------------------------------

  let markedIds = [];

  function clearErrorMarkers() {
    for (const id of markedIds) {
      if (elementRegistry.get(id)) {
        canvas.removeMarker(id, ERROR_MARKER);
      }
    }
    markedIds = [];
  }

  function focusElement(id) {
    const element = elementRegistry.get(id);
    if (!element) {
      return;
    }
    selection.select(element);
    try {
      canvas.scrollToElement(element);
    } catch (e) {
      // root elements (process / collaboration) cannot be scrolled to
    }
  }

  function showErrors(errors) {
    clearErrorMarkers();
    if (errorList) {
      errorList.textContent = '';
    }

    for (const error of errors) {
      const id = error && error.element_id ? String(error.element_id) : null;
      const message = error && error.message ? String(error.message) : '';
      const element = id ? elementRegistry.get(id) : null;

      if (element && !markedIds.includes(id)) {
        canvas.addMarker(element, ERROR_MARKER);
        markedIds.push(id);
      }

      if (!errorList) {
        continue;
      }

      const li = document.createElement('li');
      li.className = 'validation-error-item';

      if (id) {
        li.dataset.elementId = id;
        const code = document.createElement('code');
        code.className = 'validation-error-id';
        code.textContent = id;
        li.appendChild(code);
        li.appendChild(document.createTextNode('：'));
      }

      const text = document.createElement('span');
      text.className = 'validation-error-message';
      text.textContent = message;
      li.appendChild(text);

      if (element) {
        li.classList.add('is-clickable');
        li.tabIndex = 0;
        li.setAttribute('role', 'button');
        li.title = '在图中定位该元素';
        li.addEventListener('click', () => focusElement(id));
        li.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            focusElement(id);
          }
        });
      }

      errorList.appendChild(li);
    }
  }

  // ---- import ----------------------------------------------------------------

  async function load() {
    container.dataset.state = 'loading';
    if (saveButton) {
      saveButton.disabled = true;
    }
    try {
      if (!xmlUrl) {
        throw new Error('缺少 data-xml-url');
      }
      let response;
      try {
        response = await fetch(xmlUrl, {
          credentials: 'same-origin',
          headers: { Accept: 'application/xml, text/xml, */*' },
        });
      } catch (e) {
        throw new Error('网络错误，无法获取流程图');
      }
      if (!response.ok) {
        throw new Error(await responseErrorMessage(response));
      }
      const xml = await response.text();
      const { warnings } = await modeler.importXML(xml);
      if (warnings && warnings.length) {
        console.warn('BPMN import warnings', warnings);
      }
      canvas.zoom('fit-viewport', 'auto');
      changeSeq = savedSeq = 0;
      updateDirty();
      container.dataset.state = 'ready';
      if (saveButton) {
        saveButton.disabled = !saveUrl;
      }
      return { ok: true };
    } catch (err) {
      console.error('BPMN import failed', err);
      container.dataset.state = 'error';
      setStatus(statusEl, '图形无法加载：' + ((err && err.message) || String(err)), 'error');
      return { ok: false, error: err };
    }
  }

  // ---- save ------------------------------------------------------------------

  let saving = false;

  async function save() {
    if (saving || !saveUrl) {
      return;
    }
    saving = true;
    if (saveButton) {
      saveButton.disabled = true;
    }
    setStatus(statusEl, '正在保存…', 'busy');

    const seqAtSave = changeSeq;

    try {
      const { xml } = await modeler.saveXML({ format: true });

      let response;
      try {
        response = await fetch(saveUrl, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/xml',
            'X-CSRFToken': csrfToken,
            Accept: 'application/json',
          },
          body: xml,
          credentials: 'same-origin',
        });
      } catch (e) {
        setStatus(statusEl, '保存失败：网络错误，请稍后重试', 'error');
        return;
      }

      if (!response.ok) {
        setStatus(statusEl, await responseErrorMessage(response), 'error');
        return;
      }

      let result;
      try {
        result = await response.json();
      } catch (e) {
        setStatus(statusEl, '保存失败：服务器响应无法解析', 'error');
        return;
      }

      savedSeq = seqAtSave;
      updateDirty();
      if (result && result.draft_id !== undefined && result.draft_id !== null) {
        container.dataset.draftId = String(result.draft_id);
      }

      const errors = Array.isArray(result && result.errors) ? result.errors : [];
      showErrors(errors);

      await reloadSimulation();
      if (result && result.valid === true) {
        setStatus(statusEl, '草稿已保存，校验通过', 'ok');
      } else if (errors.length) {
        setStatus(statusEl, '草稿已保存，但有 ' + errors.length + ' 个问题，不能发布', 'warning');
      } else {
        setStatus(statusEl, '草稿已保存，但未通过校验，不能发布', 'warning');
      }
    } catch (err) {
      console.error('BPMN save failed', err);
      setStatus(statusEl, '保存失败：' + ((err && err.message) || String(err)), 'error');
    } finally {
      saving = false;
      if (saveButton) {
        saveButton.disabled = false;
      }
    }
  }

  if (saveButton) {
    saveButton.addEventListener('click', (event) => {
      event.preventDefault();
      save();
    });
  }

  // ---- path simulation ---------------------------------------------------------

  const simulationUrl = container.dataset.simulationUrl;
  const simulationSlot = document.getElementById('simulation-slot');
  let pathMarked = [];

  function clearPath() {
    for (const [id, marker] of pathMarked) {
      if (elementRegistry.get(id)) {
        canvas.removeMarker(id, marker);
      }
    }
    pathMarked = [];
  }

  function showPath(row) {
    clearPath();
    for (const other of simulationSlot.querySelectorAll('.simulation-path.is-selected')) {
      other.classList.remove('is-selected');
    }
    row.classList.add('is-selected');
    const mark = (ids, marker) => {
      for (const id of (ids || '').split(' ').filter(Boolean)) {
        if (elementRegistry.get(id)) {
          canvas.addMarker(id, marker);
          pathMarked.push([id, marker]);
        }
      }
    };
    mark(row.dataset.tasks, 'simulation-path');
    mark(row.dataset.stuck, 'simulation-stuck');
  }

  if (simulationSlot) {
    simulationSlot.addEventListener('click', (event) => {
      const row = event.target.closest('.simulation-path');
      if (row) {
        showPath(row);
      }
    });
    simulationSlot.addEventListener('keydown', (event) => {
      const row = event.target.closest('.simulation-path');
      if (row && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        showPath(row);
      }
    });
  }

  async function reloadSimulation() {
    if (!simulationUrl || !simulationSlot) {
      return;
    }
    try {
      const response = await fetch(simulationUrl, { credentials: 'same-origin' });
      if (response.ok) {
        clearPath();
        simulationSlot.innerHTML = await response.text();
      }
    } catch (e) {
      console.warn('simulation reload failed', e);
    }
  }

  window.yjsModelerReady = load();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', init);
} else {
  init();
}
