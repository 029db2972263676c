// YJS rules for bpmnlint, shown inline by bpmn-js-bpmnlint before the analyst saves. They
// repeat, in the browser, what the server will refuse, using the same choices the
// properties panel offers (the theme's items, the known departments):
//   yjs/task-item         a department's task must do one of the theme's items, in its lane
//   yjs/lane-department   a lane's name must be a known department
//   yjs/condition-language conditions are YJS expressions, not FEEL/JUEL/XPath

import { is } from 'bpmn-js/lib/util/ModelUtil';

const HUMAN = ['bpmn:UserTask', 'bpmn:ManualTask'];

function isHumanTask(node) {
  return node.$type === 'bpmn:Task' || HUMAN.some((type) => is(node, type));
}

export function departmentOfLane(choices, laneName) {
  const name = (laneName || '').trim();
  return choices.departments.find((d) => d.lanes.includes(name)) || null;
}

// The item a task does: its own yjs:item, else the theme's mapping by task id.
export function itemOfTask(choices, node) {
  const code = node.get ? node.get('yjs:item') : node.item;
  if (code) {
    return choices.items.find((i) => i.code === code) || { code, name: code, unknown: true };
  }
  return choices.items.find((i) => i.task === node.id) || null;
}

function laneOf(node) {
  const lanes = node.get ? node.get('lanes') : node.lanes;
  return lanes && lanes.length ? lanes[0] : null;
}

function taskItemRule(choices) {
  return () => ({
    check(node, reporter) {
      if (!isHumanTask(node)) {
        return;
      }
      const lane = laneOf(node);
      const department = lane ? departmentOfLane(choices, lane.name) : null;
      if (!department || department.code === choices.front_desk) {
        return; // no lane: the server says so; the window's own tasks do no item
      }
      const item = itemOfTask(choices, node);
      if (!item) {
        reporter.report(node.id, '部门任务须在属性面板“一件事”中选择它办理的事项');
      } else if (item.unknown) {
        reporter.report(node.id, `事项 ${item.code} 不是本主题的事项`);
      } else if (item.department && item.department !== department.code) {
        reporter.report(
          node.id,
          `事项“${item.name}”属于${item.department_name}，任务却在“${lane.name}”泳道`,
        );
      }
    },
  });
}

function laneDepartmentRule(choices) {
  return () => ({
    check(node, reporter) {
      if (is(node, 'bpmn:Lane') && !departmentOfLane(choices, node.name)) {
        reporter.report(node.id, `泳道“${node.name || ''}”不是已知部门，请在属性面板中选择承办部门`);
      }
    },
  });
}

function conditionLanguageRule() {
  return () => ({
    check(node, reporter) {
      if (!is(node, 'bpmn:SequenceFlow') || !node.conditionExpression) {
        return;
      }
      const body = (node.conditionExpression.body || '').trim();
      if (/^(\$\{|#\{|=)/.test(body) || body.includes('getDataObject(')) {
        reporter.report(node.id, '条件须写成 YJS 表达式，如 housing_fund == True');
      }
    },
  });
}

export function yjsLintConfig(choices) {
  const rules = {
    'task-item': taskItemRule(choices),
    'lane-department': laneDepartmentRule(choices),
    'condition-language': conditionLanguageRule(),
  };
  return {
    config: {
      rules: {
        'yjs/task-item': 'error',
        'yjs/lane-department': 'error',
        'yjs/condition-language': 'error',
      },
    },
    resolver: {
      resolveRule(pkg, ruleName) {
        return pkg === 'bpmnlint-plugin-yjs' ? rules[ruleName] : null;
      },
      resolveConfig() {
        return null;
      },
    },
  };
}
