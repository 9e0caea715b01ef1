// leakhunt dashboard: keeps the page current without reloading it.
// Served as a file so that the Content-Security-Policy can forbid every
// inline script. It never builds HTML from data: counters are set with
// textContent, and table rows are fragments the server rendered (and
// escaped) with html/template.
'use strict';

(function () {
  function lookup(obj, path) {
    return path.split('.').reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }

  function age(sec) {
    if (typeof sec !== 'number' || sec < 0) { return '–'; }
    sec = Math.floor(sec);
    var h = Math.floor(sec / 3600), m = Math.floor(sec % 3600 / 60), s = sec % 60;
    return (h ? h + 'h' : '') + (h || m ? m + 'm' : '') + s + 's';
  }

  function format(v, kind) {
    switch (kind) {
      case 'age': return age(v);
      case 'rate': return Number(v).toFixed(1);
      case 'clock': return String(v).replace('T', ' ').replace(/\.\d+/, '').replace('Z', '');
    }
    return String(v);
  }

  function applyOverview(ov) {
    document.querySelectorAll('[data-live]').forEach(function (el) {
      var v = lookup(ov, el.dataset.live);
      if (v !== undefined && v !== null) { el.textContent = format(v, el.dataset.format); }
    });
  }

  // swapRows replaces a table body's rows with the fragment at url.
  function swapRows(tbody, url, onTotal) {
    return fetch(url, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) { return; }
      if (onTotal) { onTotal(r.headers.get('X-Total')); }
      return r.text().then(function (html) {
        var doc = new DOMParser().parseFromString('<table><tbody>' + html + '</tbody></table>', 'text/html');
        var rows = Array.prototype.map.call(doc.querySelector('tbody').children, function (n) {
          return document.importNode(n, true);
        });
        tbody.replaceChildren.apply(tbody, rows);
      });
    }).catch(function () {});
  }

  var lastLog = null;
  function refreshPeers(ov) {
    var tbody = document.querySelector('[data-live-peers]');
    var toggle = document.querySelector('[data-live-peers-toggle]');
    if (!tbody || (toggle && !toggle.checked) || ov.log_size === lastLog) { return; }
    var first = lastLog === null;
    lastLog = ov.log_size;
    if (first) { return; } // the page was rendered at this size
    swapRows(tbody, tbody.dataset.livePeers, function (total) {
      var el = document.querySelector('[data-peers-total]');
      if (el && total !== null) { el.textContent = total; }
    });
  }

  function refreshImages() {
    document.querySelectorAll('img[data-refresh]').forEach(function (img) {
      var every = Number(img.dataset.refresh) * 1000;
      var base = img.getAttribute('src').split('?')[0];
      setInterval(function () { img.src = base + '?t=' + Date.now(); }, every);
    });
  }

  // followReports polls the rows of reports being made until they end.
  function followReports() {
    document.querySelectorAll('tr[data-running]').forEach(function (row) {
      var id = row.dataset.report;
      var timer = setInterval(function () {
        fetch('/reports/' + encodeURIComponent(id) + '/row', { credentials: 'same-origin' }).then(function (r) {
          return r.ok ? r.text() : null;
        }).then(function (html) {
          if (html === null) { return; }
          var doc = new DOMParser().parseFromString('<table><tbody>' + html + '</tbody></table>', 'text/html');
          var fresh = doc.querySelector('tr');
          if (!fresh) { return; }
          var node = document.importNode(fresh, true);
          row.replaceWith(node);
          row = node;
          if (!node.hasAttribute('data-running')) { clearInterval(timer); }
        }).catch(function () {});
      }, 1000);
    });
  }

  function connect() {
    var live = document.getElementById('live');
    if (!live || !window.EventSource) { return; }
    var es = new EventSource(live.dataset.events);
    es.addEventListener('overview', function (e) {
      var ov;
      try { ov = JSON.parse(e.data); } catch (err) { return; }
      applyOverview(ov);
      refreshPeers(ov);
      live.classList.remove('stale');
    });
    es.addEventListener('error', function () { live.classList.add('stale'); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    connect();
    refreshImages();
    followReports();
  });
})();
