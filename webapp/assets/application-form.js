// The applicant's one form (一表申请): repeating groups and the 省/市/区 cascade.
//
// The page works without this script: every field is a plain input the server checks
// in full and answers with inline errors. The script only makes filling easier:
//   - repeating groups (股东 …): 添加一行 / 删除, within data-min-items / data-max-items,
//     renumbering the posted names `group[i].sub` so rows stay 0, 1, 2 …;
//   - a region field (input.region-code) becomes three selects (省 → 市 → 区/县) whose
//     county choice is written back into the original input, which is what is posted:
//     the six-digit county code. The table is dist/regions.json, the file the server
//     validates against.

const LEVEL_LABELS = ['省（自治区、直辖市）', '市（地区、自治州、盟）', '县（区、县级市、旗）'];

function setUpGroups(form) {
  form.querySelectorAll('.group[data-group]').forEach((group) => {
    const name = group.dataset.group;
    const rows = group.querySelector('.group-rows');
    const template = group.querySelector('template.group-row-template');
    const addButton = group.querySelector('.add-row');
    const min = Number(group.dataset.minItems || 0);
    const max = Number(group.dataset.maxItems || Infinity);

    const renumber = () => {
      const all = rows.querySelectorAll(':scope > .group-row');
      all.forEach((row, index) => {
        row.dataset.index = String(index);
        const number = row.querySelector('.row-no');
        if (number) number.textContent = String(index + 1);
        row.querySelectorAll('[name]').forEach((el) => {
          el.name = renumbered(el.name, name, index);
        });
        const remove = row.querySelector('.remove-row');
        if (remove) {
          remove.hidden = false;
          remove.disabled = all.length <= min;
        }
      });
      if (addButton) {
        addButton.hidden = false;
        addButton.disabled = all.length >= max;
      }
    };

    addButton?.addEventListener('click', () => {
      if (!template || rows.children.length >= max) return;
      const fragment = template.content.cloneNode(true);
      const row = fragment.querySelector('.group-row');
      rows.appendChild(fragment);
      renumber();
      row.querySelectorAll('input.region-code').forEach((input) => setUpRegion(input));
      row.querySelector('input, select, textarea')?.focus();
    });

    rows.addEventListener('click', (event) => {
      const remove = event.target.closest('.remove-row');
      if (!remove || remove.disabled) return;
      remove.closest('.group-row').remove();
      renumber();
    });

    renumber();
  });
}

// "shareholders[3].id_code" → "shareholders[1].id_code" (only the group's own index).
function renumbered(fieldName, group, index) {
  const prefix = `${group}[`;
  if (!fieldName.startsWith(prefix)) return fieldName;
  const end = fieldName.indexOf(']', prefix.length);
  return end < 0 ? fieldName : `${prefix}${index}${fieldName.slice(end)}`;
}

let regionsPromise = null;

function loadRegions(url) {
  if (!regionsPromise) {
    regionsPromise = fetch(url, { credentials: 'same-origin' }).then((response) => {
      if (!response.ok) throw new Error(`regions: HTTP ${response.status}`);
      return response.json();
    });
  }
  return regionsPromise;
}

let regionsUrl = null;

function setUpRegion(input) {
  if (input.dataset.cascade === 'on' || !regionsUrl) return;
  input.dataset.cascade = 'on';
  loadRegions(regionsUrl)
    .then((data) => buildCascade(input, data.regions))
    .catch(() => {
      // Without the table the plain code input stays usable.
      input.dataset.cascade = 'failed';
    });
}

function buildCascade(input, provinces) {
  const box = document.createElement('div');
  box.className = 'region-cascade';
  const selects = LEVEL_LABELS.map((label, level) => {
    const select = document.createElement('select');
    select.className = `region-level region-level-${level}`;
    select.setAttribute('aria-label', label);
    box.appendChild(select);
    return select;
  });
  const [provinceSelect, citySelect, countySelect] = selects;
  let cities = [];

  const fill = (select, nodes, placeholder) => {
    select.replaceChildren(new Option(placeholder, ''));
    nodes.forEach(([code, name]) => select.appendChild(new Option(name, code)));
    select.disabled = nodes.length === 0;
  };
  const countiesOf = (city) => {
    // A city without counties (东莞市) is itself the county-level choice.
    if (!city) return [];
    return city[2].length ? city[2] : [[city[0], `${city[1]}（不设县区）`]];
  };
  const write = () => {
    input.value = countySelect.value;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  };

  provinceSelect.addEventListener('change', () => {
    const province = provinces.find((p) => p[0] === provinceSelect.value);
    cities = province ? province[2] : [];
    fill(citySelect, cities, '请选择市');
    fill(countySelect, [], '请选择县（区）');
    write();
  });
  citySelect.addEventListener('change', () => {
    const counties = countiesOf(cities.find((c) => c[0] === citySelect.value));
    fill(countySelect, counties, '请选择县（区）');
    if (counties.length === 1 && counties[0][0] === citySelect.value) {
      countySelect.value = counties[0][0];
    }
    write();
  });
  countySelect.addEventListener('change', write);

  // Show the current answer (a saved draft, or a form sent back with errors).
  fill(provinceSelect, provinces, '请选择省');
  fill(citySelect, [], '请选择市');
  fill(countySelect, [], '请选择县（区）');
  const code = input.value.trim();
  const province = provinces.find((p) => p[0] === `${code.slice(0, 2)}0000`);
  if (/^\d{6}$/.test(code) && province) {
    provinceSelect.value = province[0];
    cities = province[2];
    fill(citySelect, cities, '请选择市');
    const city = cities.find((c) => c[0] === `${code.slice(0, 4)}00`);
    if (city) {
      citySelect.value = city[0];
      const counties = countiesOf(city);
      fill(countySelect, counties, '请选择县（区）');
      if (counties.some((c) => c[0] === code)) countySelect.value = code;
    }
  }

  const field = input.closest('.field');
  field.querySelector('.region-name')?.setAttribute('hidden', '');
  input.type = 'hidden';
  input.after(box);
}

function focusFirstError(form) {
  const first = form.querySelector('.field-error input:not([type=hidden]), .field-error select');
  if (first) first.focus({ preventScroll: false });
}

function setUp() {
  const form = document.getElementById('application-form');
  if (!form) return;
  regionsUrl = form.dataset.regionsUrl || null;
  setUpGroups(form);
  form.querySelectorAll('input.region-code').forEach((input) => setUpRegion(input));
  focusFirstError(form);
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', setUp);
} else {
  setUp();
}
