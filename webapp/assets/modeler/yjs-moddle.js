// The `yjs:` extension namespace: what YJS reads from a diagram beyond plain BPMN.
// `yjs:item` on a task names the catalog item the task does; the server checks it against
// the theme's own item → task mapping when the draft is saved (engine/theme_spec.py).

export const YJS_NS = 'https://yjs.example.cn/schema/bpmn';

export default {
  name: 'YJS',
  prefix: 'yjs',
  uri: YJS_NS,
  xml: { tagAlias: 'lowerCase' },
  associations: [],
  types: [
    {
      name: 'ItemTask',
      extends: ['bpmn:Task'],
      properties: [{ name: 'item', isAttr: true, type: 'String' }],
    },
  ],
};
