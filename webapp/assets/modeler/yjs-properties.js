// The "一件事" group of the properties panel: what YJS reads from a diagram, with the values
// YJS understands offered as choices (the page passes them in, see modeler.js):
//   a task      which of the theme's items it does (yjs:item)
//   a lane      its department (the lane's name is what routes tasks to a department)
//   a condition the YJS expression on a gateway's outgoing flow, with the theme's variables
// Timers are edited in the standard 定时器 group (ISO 8601, quotes not needed).

import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { useService } from 'bpmn-js-properties-panel';
import { is } from 'bpmn-js/lib/util/ModelUtil';

import { departmentOfLane } from './yjs-lint';

function ItemEntry({ element, id }) {
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const choices = useService('yjsChoices');
  const bo = element.businessObject;
  const byTask = choices.items.find((i) => i.task === bo.id);
  return h(SelectEntry, {
    element,
    id,
    label: '办理事项',
    description: byTask
      ? `主题定义中本任务办理“${byTask.name}”`
      : '综合受理、统一出件等窗口任务不对应事项',
    getValue: () => bo.get('yjs:item') || '',
    setValue: (value) => modeling.updateProperties(element, { 'yjs:item': value || undefined }),
    getOptions: () => [
      { value: '', label: byTask ? `（按主题定义：${byTask.name}）` : '（不对应事项）' },
      ...choices.items.map((i) => ({ value: i.code, label: `${i.name}（${i.department_name}）` })),
    ],
    debounce,
  });
}

function DepartmentEntry({ element, id }) {
  const modeling = useService('modeling');
  const choices = useService('yjsChoices');
  const name = element.businessObject.name || '';
  const known = departmentOfLane(choices, name);
  return h(SelectEntry, {
    element,
    id,
    label: '承办部门',
    description: '泳道名称即承办部门，泳道内的任务分派给该部门',
    getValue: () => name,
    setValue: (value) => modeling.updateLabel(element, value),
    getOptions: () => [
      ...(known ? [] : [{ value: name, label: `${name || '（未命名）'}（不是已知部门）` }]),
      ...choices.departments.map((d) => ({ value: d.lanes[0] || d.name, label: d.name })),
    ],
  });
}

function ConditionEntry({ element, id }) {
  const modeling = useService('modeling');
  const moddle = useService('moddle');
  const debounce = useService('debounceInput');
  const choices = useService('yjsChoices');
  const bo = element.businessObject;
  const variables = choices.variables.length
    ? `可用变量：${choices.variables.join('、')}（导办选中该事项时为 True）`
    : '';
  return h(TextFieldEntry, {
    element,
    id,
    label: '条件（YJS 表达式）',
    description: `如 housing_fund == True。${variables}`,
    getValue: () => (bo.conditionExpression && bo.conditionExpression.body) || '',
    setValue: (value) =>
      modeling.updateProperties(element, {
        conditionExpression: value
          ? moddle.create('bpmn:FormalExpression', { body: value })
          : undefined,
      }),
    debounce,
  });
}

function isHumanTask(bo) {
  return bo.$type === 'bpmn:Task' || is(bo, 'bpmn:UserTask') || is(bo, 'bpmn:ManualTask');
}

function yjsEntries(element) {
  const bo = element.businessObject;
  if (isHumanTask(bo)) {
    return [{ id: 'yjsItem', element, component: ItemEntry, isEdited: isSelectEntryEdited }];
  }
  if (is(bo, 'bpmn:Lane')) {
    return [{ id: 'yjsDepartment', element, component: DepartmentEntry, isEdited: isSelectEntryEdited }];
  }
  if (
    is(bo, 'bpmn:SequenceFlow') &&
    (is(bo.sourceRef, 'bpmn:ExclusiveGateway') || is(bo.sourceRef, 'bpmn:InclusiveGateway'))
  ) {
    return [{ id: 'yjsCondition', element, component: ConditionEntry, isEdited: isTextFieldEntryEdited }];
  }
  return [];
}

class YjsPropertiesProvider {
  constructor(propertiesPanel) {
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      const entries = yjsEntries(element);
      if (entries.length) {
        groups.unshift({ id: 'yjs', label: '一件事', entries });
      }
      return groups;
    };
  }
}

YjsPropertiesProvider.$inject = ['propertiesPanel'];

export function yjsPropertiesModule(choices) {
  return {
    __init__: ['yjsPropertiesProvider'],
    yjsPropertiesProvider: ['type', YjsPropertiesProvider],
    yjsChoices: ['value', choices],
  };
}
