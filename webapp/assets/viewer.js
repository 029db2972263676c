// Read-only BPMN diagrams with the case's progress highlighted (clerk pages).
//
// Expected markup (any number per page):
//
//   <div class="bpmn-viewer"
//        data-xml-url="/…/xml"
//        data-highlight='{"completed": ["Task_a"], "active": ["Task_b"]}'></div>
//
// Ids in "completed" get the marker `bpmn-completed`, ids in "active" get
// `bpmn-active`; every other flow node (task, gateway, event, sub-process)
// gets `bpmn-pending`.
//
// Exposed for tests and other scripts:
//   window.yjsViewers       array of NavigatedViewer instances, in DOM order
//   window.yjsViewersReady  Promise resolved when every import has finished
//                           (resolves with [{ok: true|false}, …])
// Each container carries data-state="loading|ready|error".

import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { is } from 'bpmn-js/lib/util/ModelUtil';

function parseHighlight(raw) {
  const empty = { completed: [], active: [] };
  if (!raw) {
    return empty;
  }
  let data;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    console.warn('bpmn-viewer: invalid data-highlight JSON', raw);
    return empty;
  }
  const ids = (value) => (Array.isArray(value) ? value.filter((id) => id).map(String) : []);
  return {
    completed: ids(data && data.completed),
    active: ids(data && data.active),
  };
}

function showError(container, message) {
  let box = container.querySelector('.bpmn-viewer-error');
  if (!box) {
    box = document.createElement('p');
    box.className = 'bpmn-viewer-error';
    box.setAttribute('role', 'alert');
    container.appendChild(box);
  }
  box.textContent = '图形无法加载：' + message;
}

function applyHighlight(viewer, highlight) {
  const canvas = viewer.get('canvas');
  const elementRegistry = viewer.get('elementRegistry');

  const completed = new Set(highlight.completed);
  const active = new Set(highlight.active);

  for (const id of completed) {
    if (elementRegistry.get(id) && !active.has(id)) {
      canvas.addMarker(id, 'bpmn-completed');
    }
  }
  for (const id of active) {
    if (elementRegistry.get(id)) {
      canvas.addMarker(id, 'bpmn-active');
    }
  }

  const pending = elementRegistry.filter(
    (element) =>
      !element.labelTarget && // skip external labels of events / gateways
      is(element, 'bpmn:FlowNode') &&
      !completed.has(element.id) &&
      !active.has(element.id)
  );
  for (const element of pending) {
    canvas.addMarker(element, 'bpmn-pending');
  }
}

async function setup(container, viewer) {
  container.dataset.state = 'loading';
  const highlight = parseHighlight(container.dataset.highlight);
  try {
    const xmlUrl = container.dataset.xmlUrl;
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
      let message = '服务器返回错误（HTTP ' + response.status + '）';
      try {
        const body = await response.json();
        if (body && body.message) {
          message = String(body.message);
        }
      } catch (e) {
        // not JSON
      }
      throw new Error(message);
    }
    const xml = await response.text();
    const { warnings } = await viewer.importXML(xml);
    if (warnings && warnings.length) {
      console.warn('BPMN import warnings', warnings);
    }
    viewer.get('canvas').zoom('fit-viewport', 'auto');
    applyHighlight(viewer, highlight);
    container.dataset.state = 'ready';
    return { ok: true };
  } catch (err) {
    console.error('BPMN viewer import failed', err);
    container.dataset.state = 'error';
    showError(container, (err && err.message) || String(err));
    return { ok: false, error: err };
  }
}

function init() {
  const containers = Array.from(document.querySelectorAll('.bpmn-viewer'));
  const viewers = [];
  const jobs = [];
  for (const container of containers) {
    const viewer = new NavigatedViewer({ container });
    viewers.push(viewer);
    jobs.push(setup(container, viewer));
  }
  window.yjsViewers = viewers;
  window.yjsViewersReady = Promise.all(jobs);
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', init);
} else {
  init();
}
