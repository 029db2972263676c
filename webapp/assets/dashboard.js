// 效能监督 dashboard: draws the charts from the JSON the page carries
// (<div id="dashboard-data" data-figures="…">), the same numbers as the tables
// under each chart. ECharts from npm, only the parts used (tree-shaken by esbuild).
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  DatasetComponent,
} from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, DatasetComponent, SVGRenderer]);

const FONT = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
const COLORS = { received: '#3867d6', accepted: '#20bf6b', completed: '#8854d0', yellow: '#f7b731', red: '#eb3b5a', legal: '#4b6584' };

function chart(id, option) {
  const element = document.getElementById(id);
  if (!element) return null;
  const instance = echarts.init(element, null, { renderer: 'svg', locale: 'ZH' });
  instance.setOption({ textStyle: { fontFamily: FONT }, animation: false, ...option });
  return instance;
}

function narrow() {
  return window.matchMedia('(max-width: 600px)').matches;
}

// Long Chinese names (部门, 事项) are cut on the axis; the tooltip and the table keep them whole.
function shortLabel(max) {
  return (value) => (value.length > max ? `${value.slice(0, max)}…` : value);
}

function draw() {
  const source = document.getElementById('dashboard-data');
  if (!source) return;
  const data = JSON.parse(source.dataset.figures);
  const small = narrow();
  const legend = { top: 0, textStyle: { fontFamily: FONT } };
  const charts = [];

  charts.push(chart('chart-flow', {
    tooltip: { trigger: 'axis' },
    legend,
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: data.flow.periods, axisLabel: { formatter: (v) => v.slice(5) || v } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: '收件', type: 'line', data: data.flow.received, color: COLORS.received, symbolSize: 5 },
      { name: '受理', type: 'line', data: data.flow.accepted, color: COLORS.accepted, symbolSize: 5 },
      { name: '办结', type: 'line', data: data.flow.completed, color: COLORS.completed, symbolSize: 5 },
    ],
  }));

  // Cards (件, left axis) as stacked bars and on-time rates (%, right axis) as points, per
  // department along the bottom.
  charts.push(chart('chart-departments', {
    tooltip: { trigger: 'axis' },
    legend,
    grid: { left: 40, right: 48, top: small ? 56 : 40, bottom: small ? 64 : 40 },
    xAxis: {
      type: 'category',
      data: data.departments.names,
      axisLabel: { interval: 0, rotate: small ? 40 : 0, formatter: shortLabel(small ? 5 : 8) },
    },
    yAxis: [
      { type: 'value', name: '在办（件）', minInterval: 1 },
      { type: 'value', name: '按时率', min: 0, max: 100, axisLabel: { formatter: '{value}%' }, splitLine: { show: false } },
    ],
    series: [
      { name: '黄牌', type: 'bar', stack: 'cards', data: data.departments.yellow, color: COLORS.yellow, barMaxWidth: 32 },
      { name: '红牌', type: 'bar', stack: 'cards', data: data.departments.red, color: COLORS.red, barMaxWidth: 32 },
      { name: '承诺按时率', type: 'line', yAxisIndex: 1, data: data.departments.on_time, color: COLORS.accepted, symbolSize: 8, lineStyle: { width: 0 } },
      { name: '法定按时率', type: 'line', yAxisIndex: 1, data: data.departments.legal_on_time, color: COLORS.legal, symbol: 'diamond', symbolSize: 8, lineStyle: { width: 0 } },
    ],
  }));

  charts.push(chart('chart-items', {
    tooltip: { trigger: 'axis' },
    legend,
    grid: { left: small ? 96 : 200, right: 16, top: 36, bottom: 24 },
    yAxis: { type: 'category', data: data.items.names, inverse: true, axisLabel: { formatter: shortLabel(small ? 6 : 14) } },
    xAxis: { type: 'value', name: '工作日' },
    series: [
      { name: '平均用时', type: 'bar', data: data.items.used, color: COLORS.received },
      { name: '承诺时限', type: 'bar', data: data.items.promised, color: '#a5b1c2' },
    ],
  }));

  charts.push(chart('chart-rates', {
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v == null ? '—' : `${v}%`) },
    grid: { left: 40, right: 16, top: 20, bottom: small ? 48 : 28 },
    xAxis: { type: 'category', data: data.rates.names, axisLabel: { interval: 0, rotate: small ? 35 : 0 } },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: [{ name: '比率', type: 'bar', data: data.rates.values, color: COLORS.completed, barMaxWidth: 36, label: { show: true, position: 'top', formatter: ({ value }) => (value == null ? '—' : `${value}%`) } }],
  }));

  window.addEventListener('resize', () => charts.forEach((c) => c && c.resize()));
  document.body.dataset.chartsReady = String(charts.filter(Boolean).length);
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', draw);
} else {
  draw();
}
