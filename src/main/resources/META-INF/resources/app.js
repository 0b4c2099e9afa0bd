// Demo page: lists the served model's tasks from the native API (/v1), sends the chosen image to
// POST /v1/models/{model}/predict?task=T&format=png once per task, and shows each picture with
// its legend and latency. Nothing here knows the model's tasks, labels or sizes in advance.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const els = {
    modelInfo: $('model-info'), keyRow: $('key-row'), key: $('api-key'), keyApply: $('key-apply'),
    drop: $('drop'), file: $('file'), fileName: $('file-name'), tasks: $('tasks'), taskList: $('task-list'),
    selectAll: $('select-all'), run: $('run'), form: $('demo'), error: $('error'), status: $('status'),
    results: $('results'),
  };

  // matplotlib's viridis at t = 0, 0.1, ..., 1: the stops the server's depth pictures use.
  const VIRIDIS = ['#440154', '#482475', '#414487', '#355f8d', '#2a788e', '#21918c',
    '#22a884', '#44bf70', '#7ad151', '#bddf26', '#fde725'];

  const state = { model: null, tasks: [], file: null, running: false };
  const inputUrls = [];

  /** An error answer of the server: its status and its own message. */
  class ServerError extends Error {
    constructor(status, statusText, message) {
      super(message);
      this.status = status;
      this.statusText = statusText;
    }
  }

  function headers() {
    const key = els.key.value.trim();
    return key ? { Authorization: 'Bearer ' + key } : {};
  }

  async function failure(response) {
    let message = '';
    const text = await response.text();
    try {
      message = JSON.parse(text).error || text;
    } catch (e) {
      message = text;
    }
    return new ServerError(response.status, response.statusText, message || response.statusText);
  }

  async function getJson(path) {
    const response = await fetch(path, { headers: headers() });
    if (!response.ok) {
      throw await failure(response);
    }
    return response.json();
  }

  function showError(error) {
    els.error.replaceChildren();
    const title = document.createElement('strong');
    const message = document.createElement('span');
    message.className = 'server-message';
    if (error instanceof ServerError) {
      title.textContent = 'The server answered ' + error.status + (error.statusText ? ' ' + error.statusText : '') + ': ';
      message.textContent = error.message;
    } else {
      title.textContent = 'Request failed: ';
      message.textContent = error.message || String(error);
    }
    els.error.append(title, message);
    els.error.hidden = false;
    if (error instanceof ServerError && error.status === 401) {
      els.keyRow.hidden = false;
      els.key.focus();
    }
  }

  function clearError() {
    els.error.hidden = true;
    els.error.replaceChildren();
  }

  // ---- model and tasks ----

  async function loadModel() {
    clearError();
    try {
      const list = await getJson('v1/models');
      const summary = list.models[0];
      const detail = await getJson('v1/models/' + encodeURIComponent(summary.name) + '/tasks');
      state.model = summary;
      state.tasks = detail.tasks;
      els.modelInfo.textContent = 'Model ' + summary.name + ' · version ' + summary.version + ' · ' + summary.device
        + ' · input ' + summary.input.width + '×' + summary.input.height + ' · ' + detail.tasks.length + ' tasks';
      renderTasks();
    } catch (error) {
      els.modelInfo.textContent = 'The model could not be loaded.';
      showError(error);
    }
  }

  function renderTasks() {
    els.taskList.replaceChildren();
    for (const task of state.tasks) {
      const label = document.createElement('label');
      label.className = 'task';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'task';
      box.value = task.name;
      box.checked = true;
      box.addEventListener('change', updateRunButton);
      const name = document.createElement('span');
      name.textContent = task.name;
      label.append(box, name);
      if (task.kind !== task.name) {
        const kind = document.createElement('span');
        kind.className = 'kind';
        kind.textContent = task.kind;
        label.append(kind);
      }
      els.taskList.append(label);
    }
    els.tasks.disabled = false;
    updateRunButton();
  }

  function chosenTasks() {
    const names = [...els.taskList.querySelectorAll('input:checked')].map((b) => b.value);
    return state.tasks.filter((t) => names.includes(t.name));
  }

  function updateRunButton() {
    els.run.disabled = state.running || !state.file || chosenTasks().length === 0;
  }

  // ---- choosing a file ----

  function choose(file) {
    if (!file) {
      return;
    }
    state.file = file;
    els.fileName.textContent = 'Chosen: ' + file.name + ' (' + Math.max(1, Math.round(file.size / 1024)) + ' KiB)';
    clearError();
    updateRunButton();
  }

  els.file.addEventListener('change', () => choose(els.file.files[0]));
  els.drop.addEventListener('click', () => els.file.click());
  els.drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      els.file.click();
    }
  });
  els.drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    els.drop.classList.add('over');
  });
  els.drop.addEventListener('dragleave', () => els.drop.classList.remove('over'));
  els.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    els.drop.classList.remove('over');
    choose(e.dataTransfer.files[0]);
  });
  els.selectAll.addEventListener('click', () => {
    els.taskList.querySelectorAll('input').forEach((b) => { b.checked = true; });
    updateRunButton();
  });
  els.keyApply.addEventListener('click', loadModel);
  els.key.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      loadModel();
    }
  });

  // ---- running ----

  async function predict(task, file) {
    const body = new FormData();
    body.append('image', file, file.name);
    const url = 'v1/models/' + encodeURIComponent(state.model.name) + '/predict?task='
      + encodeURIComponent(task.name) + '&format=png';
    const start = performance.now();
    const response = await fetch(url, { method: 'POST', headers: headers(), body });
    if (!response.ok) {
      throw await failure(response);
    }
    const blob = await response.blob();
    const roundTrip = performance.now() - start;
    const h = response.headers;
    return {
      blob,
      roundTrip,
      queue: parseFloat(h.get('X-Sinewich-Queue-Seconds')),
      compute: parseFloat(h.get('X-Sinewich-Compute-Seconds')),
      legend: h.get('X-Sinewich-Legend'),
      depthRange: h.get('X-Sinewich-Depth-Range'),
    };
  }

  els.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const tasks = chosenTasks();
    if (state.running || !state.file || tasks.length === 0) {
      return;
    }
    state.running = true;
    updateRunButton();
    clearError();
    inputUrls.splice(0).forEach((u) => URL.revokeObjectURL(u));
    els.results.replaceChildren(inputCard(state.file));
    const file = state.file;
    const started = performance.now();
    try {
      for (const [i, task] of tasks.entries()) {
        els.status.textContent = 'Running ' + task.name + ' (' + (i + 1) + ' of ' + tasks.length + ')…';
        const result = await predict(task, file);
        els.results.append(taskCard(task, result, file.name));
      }
      els.status.textContent = tasks.length + ' task' + (tasks.length === 1 ? '' : 's') + ' done in '
        + ms(performance.now() - started) + ' (one request per task).';
    } catch (error) {
      els.status.textContent = '';
      els.results.replaceChildren();
      showError(error);
    } finally {
      state.running = false;
      updateRunButton();
    }
  });

  // ---- result cards ----

  function card(title, kind) {
    const figure = document.createElement('figure');
    figure.className = 'card';
    const heading = document.createElement('h3');
    heading.textContent = title;
    if (kind) {
      const k = document.createElement('span');
      k.className = 'kind';
      k.textContent = kind;
      heading.append(' ', k);
    }
    figure.append(heading);
    return figure;
  }

  function picture(url, alt) {
    const frame = document.createElement('div');
    frame.className = 'frame';
    const img = document.createElement('img');
    img.src = url;
    img.alt = alt;
    frame.append(img);
    return { frame, img };
  }

  function inputCard(file) {
    const figure = card('Input');
    const url = URL.createObjectURL(file);
    inputUrls.push(url);
    const { frame, img } = picture(url, 'Input image ' + file.name);
    img.classList.add('input-image');
    const caption = document.createElement('figcaption');
    caption.textContent = file.name;
    img.addEventListener('load', () => {
      caption.textContent = file.name + ' · ' + img.naturalWidth + '×' + img.naturalHeight + ' px';
    });
    figure.append(frame, caption);
    return figure;
  }

  function taskCard(task, result, fileName) {
    const figure = card(task.name, task.kind !== task.name ? task.kind : null);
    figure.dataset.task = task.name;
    const url = URL.createObjectURL(result.blob);
    inputUrls.push(url);
    const { frame, img } = picture(url, task.name + ' (' + task.kind + ') output for ' + fileName);
    img.classList.add('output');
    const caption = document.createElement('figcaption');
    caption.append(legend(task, result), latency(result));
    figure.append(frame, caption);
    return figure;
  }

  function latency(result) {
    const p = document.createElement('p');
    p.className = 'latency';
    const server = result.queue + result.compute;
    if (Number.isFinite(server)) {
      const s = document.createElement('span');
      s.className = 'latency-server';
      s.textContent = 'Server ' + ms(server * 1000) + ' (queue ' + ms(result.queue * 1000) + ', compute '
        + ms(result.compute * 1000) + ')';
      s.title = 'Time the server reports: waiting for the model, then the forward pass';
      p.append(s);
    }
    const r = document.createElement('span');
    r.className = 'latency-rtt';
    r.textContent = 'Round trip ' + ms(result.roundTrip);
    r.title = 'Measured in this browser: upload, server and download';
    p.append(r);
    return p;
  }

  function ms(value) {
    return (value < 10 ? value.toFixed(1) : Math.round(value).toString()) + ' ms';
  }

  function legend(task, result) {
    const box = document.createElement('div');
    box.className = 'legend';
    box.dataset.kind = task.kind;
    switch (task.kind) {
      case 'segmentation':
        box.append(swatches(result.legend ? JSON.parse(result.legend) : []));
        break;
      case 'depth': {
        const range = result.depthRange ? JSON.parse(result.depthRange) : {};
        const unit = range.unit || task.unit || '';
        box.append(colourBar('linear-gradient(to right, ' + VIRIDIS.slice().reverse().join(', ') + ')',
          'min ' + number(range.near) + ' ' + unit, 'max ' + number(range.far) + ' ' + unit,
          'Depth in ' + unit + ': yellow near, purple far'));
        break;
      }
      case 'normals':
        box.append(normalsKey());
        break;
      case 'saliency':
      case 'edges':
        box.append(colourBar('linear-gradient(to right, #000, #fff)', '0', '1',
          task.kind === 'saliency' ? 'Saliency probability (white = salient)' : 'Edge probability'));
        break;
      default:
        box.textContent = 'Shown as the server draws ' + task.kind + ' outputs.';
    }
    return box;
  }

  function number(v) {
    if (typeof v !== 'number') {
      return '–';
    }
    return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
  }

  function swatches(entries) {
    const list = document.createElement('ul');
    list.className = 'swatches';
    list.setAttribute('aria-label', 'Segmentation classes');
    for (const entry of entries) {
      const item = document.createElement('li');
      const chip = document.createElement('span');
      chip.className = 'chip';
      chip.style.background = entry.color;
      chip.title = entry.color;
      const name = document.createElement('span');
      name.className = 'label-name';
      name.textContent = entry.name;
      item.append(chip, name);
      list.append(item);
    }
    return list;
  }

  function colourBar(gradient, left, right, title) {
    const wrap = document.createElement('div');
    wrap.className = 'bar-wrap';
    const caption = document.createElement('p');
    caption.className = 'bar-title';
    caption.textContent = title;
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.background = gradient;
    bar.setAttribute('role', 'img');
    bar.setAttribute('aria-label', title + ': from ' + left + ' to ' + right);
    const ends = document.createElement('div');
    ends.className = 'bar-ends';
    const l = document.createElement('span');
    l.className = 'bar-min';
    l.textContent = left;
    const r = document.createElement('span');
    r.className = 'bar-max';
    r.textContent = right;
    ends.append(l, r);
    wrap.append(caption, bar, ends);
    return wrap;
  }

  function normalsKey() {
    const wrap = document.createElement('div');
    const text = document.createElement('p');
    text.className = 'normals-text';
    text.textContent = 'Surface normal n as colour (n + 1) / 2: red = x (right), green = y (up), '
      + 'blue = z (towards the camera).';
    const list = document.createElement('ul');
    list.className = 'swatches';
    list.setAttribute('aria-label', 'Example normal directions');
    for (const [colour, name] of [['#8080ff', 'facing the camera'], ['#ff8080', 'facing right'],
      ['#80ff80', 'facing up'], ['#800080', 'facing down']]) {
      const item = document.createElement('li');
      const chip = document.createElement('span');
      chip.className = 'chip';
      chip.style.background = colour;
      const label = document.createElement('span');
      label.className = 'label-name';
      label.textContent = name;
      item.append(chip, label);
      list.append(item);
    }
    wrap.append(text, list);
    return wrap;
  }

  loadModel();
}());
