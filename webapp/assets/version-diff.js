// The publish page: the diagram in force and the one to publish, side by side, with the
// elements bpmn-js-differ finds added (green), changed (amber), removed (red) or moved (blue).
//
// Expected markup (no data-xml-url on "before": there is no version in force yet):
//
//   <div class="bpmn-viewer" data-diff-side="before" data-xml-url="/…/current.bpmn"></div>
//   <div class="bpmn-viewer" data-diff-side="after" data-xml-url="/…/next.bpmn"></div>
//   <ul id="diagram-changes"></ul>
//
// Exposed for tests: window.yjsDiagramDiff (Promise of {added, removed, changed,
// layoutChanged} id lists);
// each container carries data-state="loading|ready|error".

import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { diff } from 'bpmn-js-differ';

const KINDS = [
  ['added', '新增', 'diff-added', 'after'],
  ['changed', '修改', 'diff-changed', 'after'],
  ['removed', '删除', 'diff-removed', 'before'],
  ['layoutChanged', '调整位置', 'diff-layout', 'after'],
];

async function fetchXml(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) {
    throw new Error('流程图无法获取（HTTP ' + response.status + '）');
  }
  return response.text();
}

async function load(container) {
  container.dataset.state = 'loading';
  if (!container.dataset.xmlUrl) {
    container.dataset.state = 'ready';
    container.textContent = '（无）';
    return null;
  }
  const xml = await fetchXml(container.dataset.xmlUrl);
  const viewer = new NavigatedViewer({ container });
  await viewer.importXML(xml);
  viewer.get('canvas').zoom('fit-viewport', 'auto');
  return viewer;
}

function label(element, id) {
  return (element && element.name) || id;
}

async function init() {
  const before = document.querySelector('[data-diff-side="before"]');
  const after = document.querySelector('[data-diff-side="after"]');
  if (!before || !after) {
    return null;
  }
  try {
    const [old, next] = await Promise.all([load(before), load(after)]);
    const result = { added: [], removed: [], changed: [], layoutChanged: [] };
    if (old && next) {
      const changes = diff(old.getDefinitions(), next.getDefinitions());
      const list = document.getElementById('diagram-changes');
      for (const [kind, text, marker, side] of KINDS) {
        const viewer = side === 'after' ? next : old;
        const registry = viewer.get('elementRegistry');
        const found = changes['_' + kind] || {};
        for (const [id, change] of Object.entries(found)) {
          const element = change.model || change;
          if (element.$type === 'bpmn:SequenceFlow' || !registry.get(id) || result.changed.includes(id)) {
            continue; // flows follow their elements; a changed element is marked once
          }
          viewer.get('canvas').addMarker(id, marker);
          result[kind].push(id);
          if (list) {
            const item = document.createElement('li');
            item.className = marker;
            item.textContent = text + '：' + label(element, id) + '（' + id + '）';
            list.appendChild(item);
          }
        }
      }
      if (list && !list.children.length) {
        const item = document.createElement('li');
        item.textContent = '流程图的元素没有变化（可能只调整了布局）';
        list.appendChild(item);
      }
    }
    before.dataset.state = 'ready';
    after.dataset.state = 'ready';
    return result;
  } catch (err) {
    console.error('diagram diff failed', err);
    for (const container of [before, after]) {
      container.dataset.state = 'error';
    }
    const list = document.getElementById('diagram-changes');
    if (list) {
      const item = document.createElement('li');
      item.setAttribute('role', 'alert');
      item.textContent = '流程图比较失败：' + ((err && err.message) || String(err));
      list.appendChild(item);
    }
    return null;
  }
}

window.yjsDiagramDiff = new Promise((resolve) => {
  const start = () => init().then(resolve);
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
});
