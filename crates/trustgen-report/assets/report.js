// trustgen report: sortable tables and the case explorer.
// Data from runs is untrusted: it only ever reaches the page through
// textContent and attribute-free elements built here, never through innerHTML.
(function () {
  'use strict';

  // ------------------------------------------------------------ sortable tables
  function sortKey(cell, numeric) {
    var raw = cell ? (cell.getAttribute('data-sort') !== null ? cell.getAttribute('data-sort') : cell.textContent) : '';
    if (!numeric) return raw.trim().toLowerCase();
    var n = parseFloat(raw);
    return isNaN(n) ? -Infinity : n;
  }
  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      var type = th.getAttribute('data-type');
      if (!type) return;
      th.addEventListener('click', function () {
        var asc = !th.classList.contains('asc');
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove('asc', 'desc'); });
        th.classList.add(asc ? 'asc' : 'desc');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortKey(a.cells[col], type === 'num');
          var y = sortKey(b.cells[col], type === 'num');
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), makeSortable);

  // ------------------------------------------------------------ case explorer
  // results: [case, run, status, score, label, judge (index into D.judges), reasoning, refused, failed,
  //           answers, extracted]
  var CASE = 0, RUN = 1, STATUS = 2, SCORE = 3, LABEL = 4, JUDGE = 5, REASON = 6, REFUSED = 7, FAILED = 8,
      ANSWERS = 9, EXTRACTED = 10;
  var PAGE = 50;
  var D = null, byCase = null, hay = null, shown = [], page = 0, selected = -1;
  var $ = function (id) { return document.getElementById(id); };

  // A bounded text is a string, or [prefix, total characters] when cut.
  function parts(b) {
    if (b === null || b === undefined) return null;
    return Array.isArray(b) ? { text: b[0], total: b[1] } : { text: b, total: 0 };
  }
  function plain(b) { var p = parts(b); return p ? p.text : ''; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function block(parent, label, b) {
    var p = parts(b);
    if (!p) return;
    parent.appendChild(el('div', 'label', label));
    parent.appendChild(el('pre', null, p.text));
    if (p.total) parent.appendChild(el('div', 'trunc', '… truncated, ' + p.total + ' characters in total (the run directory has the full text)'));
  }
  function outputOf(r) {
    var answers = r[ANSWERS];
    if (!answers || !answers.length) return '';
    var turns = answers[0].t;
    if (!turns.length) return '';
    var last = turns[turns.length - 1];
    return last[1] !== null ? plain(last[1]) : '[' + last[0] + ']';
  }
  // Images: D.images[i] is {f: where it is, u: a JPEG data URL} or {f, n: why it is not shown}.
  // Only data URLs of JPEGs the report made become an image element; everything else is text.
  var THUMB = 'data:image/jpeg;base64,';
  function imageStrip(parent, list, what) {
    if (!list || !list.length) return;
    parent.appendChild(el('div', 'label', list.length + ' image(s) ' + what));
    var strip = el('div', 'images');
    list.forEach(function (idx, k) {
      var im = D.images[idx] || { f: '?', n: 'not in the page data' };
      var fig = el('figure', 'image');
      var name = 'image ' + (k + 1) + ' ' + what + ': ' + im.f;
      if (typeof im.u === 'string' && im.u.indexOf(THUMB) === 0) {
        var img = document.createElement('img');
        img.className = 'thumb';
        img.alt = name;
        img.title = name;
        img.src = im.u;
        fig.appendChild(img);
      } else {
        fig.appendChild(el('div', 'missing-image', 'not shown: ' + (im.n || 'no thumbnail')));
      }
      fig.appendChild(el('figcaption', null, im.f));
      strip.appendChild(fig);
    });
    parent.appendChild(strip);
  }
  function scoreText(s) { return s === null ? '—' : (Math.round(s * 1000) / 1000).toString(); }

  function matches(r, run, task, status, needle, i) {
    if (run !== '' && r[RUN] !== +run) return false;
    if (task !== '' && D.cases[r[CASE]].k !== +task) return false;
    if (status === 'failed' && !r[FAILED]) return false;
    if (status === 'refused' && !r[REFUSED]) return false;
    if (status !== '' && status !== 'failed' && status !== 'refused' && r[STATUS] !== status) return false;
    if (needle) {
      if (hay === null) buildHaystack();
      if (hay[i].indexOf(needle) < 0) return false;
    }
    return true;
  }
  function buildHaystack() {
    hay = D.results.map(function (r) {
      var c = D.cases[r[CASE]];
      var prompt = c.p.map(function (p) { return p.u.map(plain).join(' '); }).join(' ');
      return (plain(c.id) + ' ' + prompt + ' ' + outputOf(r)).toLowerCase();
    });
  }
  function applyFilters() {
    var run = $('f-run').value, task = $('f-task').value, status = $('f-status').value;
    var needle = $('f-text').value.trim().toLowerCase();
    shown = [];
    for (var i = 0; i < D.results.length; i++) {
      if (matches(D.results[i], run, task, status, needle, i)) shown.push(i);
    }
    page = 0;
    renderPage();
  }
  function renderPage() {
    var body = $('case-rows');
    body.replaceChildren();
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (page >= pages) page = pages - 1;
    var start = page * PAGE;
    shown.slice(start, start + PAGE).forEach(function (ri) {
      var r = D.results[ri], c = D.cases[r[CASE]], t = D.tasks[c.k];
      var tr = el('tr');
      tr.setAttribute('data-result', String(ri));
      if (ri === selected) tr.className = 'selected';
      tr.appendChild(el('td', null, plain(c.id)));
      tr.appendChild(el('td', null, plain(t.d) + '/' + plain(t.t)));
      tr.appendChild(el('td', null, D.runs[r[RUN]].label));
      tr.appendChild(el('td', 'status-' + r[STATUS], r[STATUS] + (r[REFUSED] ? ', refused' : '') + (r[FAILED] ? ', failed' : '')));
      tr.appendChild(el('td', null, scoreText(r[SCORE])));
      tr.appendChild(el('td', null, plain(r[LABEL])));
      tr.appendChild(el('td', 'out', outputOf(r).slice(0, 200)));
      tr.addEventListener('click', function () { openCase(r[CASE], ri); });
      body.appendChild(tr);
    });
    if (!shown.length) {
      var empty = el('td', null, 'No case matches the filters.');
      empty.colSpan = 7;
      var tr = el('tr');
      tr.appendChild(empty);
      body.appendChild(tr);
    }
    $('page-info').textContent = 'page ' + (page + 1) + ' of ' + pages + ' · ' + shown.length + ' results';
    $('prev').disabled = page === 0;
    $('next').disabled = page + 1 >= pages;
  }

  function openCase(ci, ri) {
    selected = ri === undefined ? -1 : ri;
    var c = D.cases[ci], t = D.tasks[c.k];
    var box = $('case-detail');
    box.replaceChildren();
    box.hidden = false;
    box.setAttribute('data-case', String(ci));
    box.appendChild(el('h3', null, plain(c.id)));
    box.appendChild(el('div', 'note', 'task ' + plain(t.d) + '/' + plain(t.t)));
    c.p.forEach(function (p) {
      var name = plain(p.n);
      block(box, 'system prompt (' + name + ')', p.s);
      p.u.forEach(function (u, i) { block(box, 'user turn ' + (i + 1) + ' (' + name + ')', u); });
      imageStrip(box, p.img, 'attached to the first turn (' + name + ')');
    });
    if (c.v) {
      box.appendChild(el('div', 'label', 'variation'));
      box.appendChild(el('pre', null, plain(c.v.op) + ' ' + c.v.params + (c.v.skipped ? '\nskipped: ' + plain(c.v.skipped) : '')));
      block(box, 'original prompt', c.v.orig);
    }
    if (c.ch && c.ch.length) block(box, 'choices', c.ch.map(plain).join('\n'));
    block(box, 'ground truth', c.gt);
    (byCase[ci] || []).forEach(function (i) {
      var r = D.results[i];
      var run = el('div', 'run-block');
      run.appendChild(el('h4', null, D.runs[r[RUN]].label));
      (r[ANSWERS] || []).forEach(function (a) {
        a.t.forEach(function (turn, k) {
          var label = 'output ' + plain(a.n) + ', turn ' + (k + 1) + ' [' + turn[0] + ']';
          if (turn[1] !== null) block(run, label, turn[1]);
          else block(run, label, turn[2] !== null ? turn[2] : '(no text)');
          imageStrip(run, turn[3], 'returned in ' + label);
        });
      });
      if (!r[ANSWERS] || !r[ANSWERS].length) run.appendChild(el('div', 'note', 'no output recorded'));
      var verdict = 'status ' + r[STATUS] + ' · score ' + scoreText(r[SCORE]) +
        (r[LABEL] !== null ? ' · label ' + plain(r[LABEL]) : '') + (r[REFUSED] ? ' · refused' : '') +
        (r[FAILED] ? ' · failed' : '') + (r[JUDGE] !== null ? ' · judge ' + plain(D.judges[r[JUDGE]]) : '');
      run.appendChild(el('div', 'label', 'verdict'));
      run.appendChild(el('div', 'verdict', verdict));
      block(run, 'extracted answer', r[EXTRACTED]);
      block(run, 'judge reasoning', r[REASON]);
      box.appendChild(run);
    });
    renderPage();
    box.scrollIntoView({ block: 'start' });
  }

  function init() {
    var node = $('case-data');
    try {
      D = JSON.parse(node.textContent);
    } catch (e) {
      $('case-rows').replaceChildren(el('tr', null, 'The case data could not be read: ' + e));
      throw e;
    }
    byCase = new Array(D.cases.length);
    D.results.forEach(function (r, i) { (byCase[r[CASE]] = byCase[r[CASE]] || []).push(i); });
    ['f-run', 'f-task', 'f-status'].forEach(function (id) { $(id).addEventListener('change', applyFilters); });
    var timer = null;
    $('f-text').addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(applyFilters, 250); });
    $('prev').addEventListener('click', function () { page--; renderPage(); });
    $('next').addEventListener('click', function () { page++; renderPage(); });
    Array.prototype.forEach.call(document.querySelectorAll('button.open-case'), function (b) {
      b.addEventListener('click', function () { openCase(+b.getAttribute('data-case')); });
    });
    document.body.setAttribute('data-ready', 'true');
    applyFilters();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { setTimeout(init, 0); });
  else setTimeout(init, 0);
})();
