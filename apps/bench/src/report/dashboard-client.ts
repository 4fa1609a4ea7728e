/**
 * The browser code of the dashboard, inlined into `dashboard.html` after Chart.js. It reads the embedded
 * `#dfer-dashboard-data` JSON (prepared by `renderDashboardHtml`) and draws every chart and table. Every chart
 * is registered in `window.dferDashboard.charts` under its canvas id, so tests can read back what is drawn.
 * Plain ES2017, no template literals (this file is a TypeScript string).
 */
export const DASHBOARD_CLIENT_SOURCE = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('dfer-dashboard-data').textContent);
  var state = { charts: {}, ready: false };
  window.dferDashboard = state;
  var palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  // the mean alone when it rests on one value (no sample std), as formatPercent of the Markdown report
  function pct(ms) { return ms ? (ms.mean * 100).toFixed(1) + (ms.n < 2 ? '' : ' ± ' + (ms.std * 100).toFixed(1)) : 'n/a'; }
  // Draws mean ± std whiskers for datasets that carry an 'errors' array (same units as data).
  var errorBars = {
    id: 'dferErrorBars',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.errors) return;
        var meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        var scale = chart.scales[meta.yAxisID];
        meta.data.forEach(function (bar, j) {
          var e = ds.errors[j];
          var v = ds.data[j];
          if (e === null || e === undefined || v === null || v === undefined) return;
          var top = scale.getPixelForValue(v + e);
          var bottom = scale.getPixelForValue(v - e);
          ctx.save();
          ctx.strokeStyle = '#222';
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.moveTo(bar.x, top); ctx.lineTo(bar.x, bottom);
          ctx.moveTo(bar.x - 4, top); ctx.lineTo(bar.x + 4, top);
          ctx.moveTo(bar.x - 4, bottom); ctx.lineTo(bar.x + 4, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };
  function chart(parent, id, config, title) {
    var box = el('div', { class: 'chart-box' });
    if (title) box.appendChild(el('h4', null, title));
    var canvas = el('canvas', { id: id, 'data-chart': 'true' });
    box.appendChild(canvas);
    parent.appendChild(box);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    state.charts[id] = new Chart(canvas, config);
    return state.charts[id];
  }
  function table(parent, header, rows, cls) {
    var t = el('table', cls ? { class: cls } : null);
    var tr = el('tr');
    header.forEach(function (h) { tr.appendChild(el('th', null, h)); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (c) { row.appendChild(el('td', null, c)); });
      t.appendChild(row);
    });
    parent.appendChild(t);
    return t;
  }
  var main = document.getElementById('content');
  if (data.fixture) {
    main.appendChild(el('p', { class: 'banner' }, 'Fixture data: this file was made for tests or documentation; its numbers are not results.'));
  }
  var evidence = data.evidence;
  evidence.notEvidence.forEach(function (line) {
    main.appendChild(el('p', { class: 'banner not-evidence' }, 'Not evidence: ' + line));
  });
  main.appendChild(el('p', null, 'Results created ' + data.createdAt + '; ' + data.runCount + ' run(s), ' + data.perf.length + ' timing(s).'));
  // Draws a dashed line at y = 0 (the "no effect" line of the interval plots).
  var zeroLine = {
    id: 'dferZeroLine',
    afterDatasetsDraw: function (chart) {
      var scale = chart.scales.y;
      var area = chart.chartArea;
      if (!scale || !area) return;
      var y = scale.getPixelForValue(0);
      if (y < area.top || y > area.bottom) return;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = '#d62728';
      ctx.lineWidth = 1;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(area.left, y); ctx.lineTo(area.right, y);
      ctx.stroke();
      ctx.restore();
    }
  };
  if (evidence.runs.length) {
    var runsSection = el('section', { class: 'group', id: 'what-was-run' });
    runsSection.appendChild(el('h2', null, 'What was run'));
    evidence.runs.forEach(function (profile) {
      runsSection.appendChild(el('h3', null, profile.title));
      var list = el('ul');
      profile.lines.forEach(function (line) { list.appendChild(el('li', null, line)); });
      runsSection.appendChild(list);
    });
    main.appendChild(runsSection);
  }
  if (evidence.groups.length || evidence.absent.length) {
    var verdictSection = el('section', { class: 'group', id: 'verdicts' });
    verdictSection.appendChild(el('h2', null, 'Verdicts'));
    verdictSection.appendChild(el('p', { class: 'rule' }, 'Rule: ' + evidence.rule));
    evidence.groups.forEach(function (group, g) {
      verdictSection.appendChild(el('h3', null, group.title));
      var t = table(verdictSection, ['Claim', 'Model', 'Effect (points)', '95 % CI', 'n', 'Verdict', 'Per-seed differences', 'Also shown'], group.rows.map(function (r) {
        return [r.claim, r.model, r.effectText, r.intervalText, String(r.n), r.verdict, r.perSeed, r.also];
      }), 'verdicts');
      var cells = t.querySelectorAll('tr');
      group.rows.forEach(function (r, i) {
        var cell = cells[i + 1].children[5];
        cell.setAttribute('class', 'verdict-' + r.verdict.replace(/ /g, '-'));
      });
      var claims = [];
      group.rows.forEach(function (r) { if (claims.indexOf(r.chartClaim) < 0) claims.push(r.chartClaim); });
      verdictSection.appendChild(el('p', null, 'Interval plots: the mean paired difference (arm − reference, points) per claim, 95 % CI as whiskers (none when n < 2), dashed line at 0; green = supported, red = contradicted, grey = not shown.'));
      var plots = el('div', { class: 'grid' });
      claims.forEach(function (claim, c) {
        var cell = el('div', { class: 'verdict-plot' });
        cell.appendChild(el('h4', null, claim));
        plots.appendChild(cell);
        var rows = group.rows.filter(function (r) { return r.chartClaim === claim; });
        var ends = [0];
        rows.forEach(function (r) {
          [r.effect, r.lower, r.upper].forEach(function (v) { if (v !== null) ends.push(v); });
        });
        var lo = Math.min.apply(null, ends);
        var hi = Math.max.apply(null, ends);
        var pad = Math.max((hi - lo) * 0.1, 0.5);
        chart(cell, 'chart-verdict-' + g + '-' + c, {
          type: 'line',
          data: {
            labels: rows.map(function (r) { return r.label; }),
            datasets: [{
              label: 'mean paired difference (points), 95 % CI',
              data: rows.map(function (r) { return r.effect; }),
              errors: rows.map(function (r) { return r.upper === null || r.effect === null ? null : r.upper - r.effect; }),
              showLine: false,
              pointRadius: 5,
              pointHoverRadius: 6,
              borderColor: palette[0],
              backgroundColor: rows.map(function (r) { return r.verdict === 'supported' ? palette[2] : r.verdict === 'contradicted' ? palette[3] : palette[7]; })
            }]
          },
          options: { scales: { y: { suggestedMin: lo - pad, suggestedMax: hi + pad, title: { display: true, text: 'arm − reference (points)' } } } },
          plugins: [errorBars, zeroLine]
        });
      });
      verdictSection.appendChild(plots);
    });
    if (evidence.absent.length) {
      verdictSection.appendChild(el('h3', null, 'Claims not computed (arms absent)'));
      var absent = el('ul');
      evidence.absent.forEach(function (line) { absent.appendChild(el('li', null, line)); });
      verdictSection.appendChild(absent);
    }
    main.appendChild(verdictSection);
  }
  if (data.groups.length === 0 && data.auGroups.length === 0) main.appendChild(el('p', null, 'No training runs in this file.'));
  data.groups.forEach(function (group, g) {
    var section = el('section', { class: 'group', id: 'group-' + g });
    section.appendChild(el('h2', null, group.title));
    var labels = group.rows.map(function (r) { return r.label; });
    chart(section, 'chart-summary-' + g, {
      type: 'bar',
      data: {
        labels: labels,
        datasets: [
          { label: 'UAR (%)', data: group.rows.map(function (r) { return r.uar.mean * 100; }), errors: group.rows.map(function (r) { return r.uar.std * 100; }), backgroundColor: palette[0] },
          { label: 'WAR (%)', data: group.rows.map(function (r) { return r.war.mean * 100; }), errors: group.rows.map(function (r) { return r.war.std * 100; }), backgroundColor: palette[1] }
        ]
      },
      options: { scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: '%' } } } },
      plugins: [errorBars]
    }, 'UAR / WAR per model × method (mean ± std over folds × seeds)');
    table(section, ['Model', 'Preset', 'Method', 'n', 'UAR %', 'WAR %', 'macro-F1 %', 'Engine', 'Selection'], group.rows.map(function (r) {
      var method = r.noiseRate === null ? r.method : r.method + ' (noise ' + Math.round(r.noiseRate * 1000) / 10 + ' %)';
      return [r.model, r.preset, method, String(r.uar.n), pct(r.uar), pct(r.war), pct(r.macroF1), r.backends.join(', '), r.selections.join(', ')];
    }), 'summary');
    var order = group.classOrder;
    chart(section, 'chart-recall-' + g, {
      type: 'bar',
      data: {
        labels: order.map(function (c) { return group.classNames[c]; }),
        datasets: group.rows.map(function (r, i) {
          return {
            label: r.label,
            data: order.map(function (c) { return r.recall[c] ? r.recall[c].mean * 100 : null; }),
            errors: order.map(function (c) { return r.recall[c] ? r.recall[c].std * 100 : null; }),
            backgroundColor: palette[i % palette.length]
          };
        })
      },
      options: { scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: 'recall %' } } } },
      plugins: [errorBars]
    }, 'Per-class recall, minority classes first');
    var curves = el('div', { class: 'grid' });
    chart(curves, 'chart-loss-' + g, {
      type: 'line',
      data: {
        labels: group.epochs,
        datasets: group.rows.map(function (r, i) {
          return { label: r.label, data: r.curve.trainLoss, borderColor: palette[i % palette.length], fill: false };
        })
      },
      options: { scales: { x: { title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: 'training loss' } } } }
    }, 'Training loss per epoch (mean over folds × seeds)');
    chart(curves, 'chart-selection-' + g, {
      type: 'line',
      data: {
        labels: group.epochs,
        datasets: group.rows.map(function (r, i) {
          return { label: r.label, data: r.curve.selectionUar, borderColor: palette[i % palette.length], fill: false };
        })
      },
      options: { scales: { x: { title: { display: true, text: 'epoch' } }, y: { beginAtZero: true, max: 100, title: { display: true, text: 'validation UAR %' } } } }
    }, 'Model-selection UAR per epoch (mean over folds × seeds)');
    section.appendChild(curves);
    section.appendChild(el('h3', null, 'Confusion matrices (test clips, summed over folds × seeds; rows = true class)'));
    var grid = el('div', { class: 'grid confusions' });
    group.rows.forEach(function (r, i) {
      var box = el('div', { class: 'confusion' });
      box.appendChild(el('h4', null, r.label));
      var t = el('table', { class: 'confusion-matrix', id: 'confusion-' + g + '-' + i });
      var head = el('tr');
      head.appendChild(el('th', null, 'true \\ pred'));
      group.classNames.forEach(function (n) { head.appendChild(el('th', null, n)); });
      t.appendChild(head);
      r.confusion.forEach(function (row, ti) {
        var total = row.reduce(function (a, b) { return a + b; }, 0);
        var tr = el('tr');
        tr.appendChild(el('th', null, group.classNames[ti]));
        row.forEach(function (v) {
          var td = el('td', null, String(v));
          var share = total ? v / total : 0;
          td.style.background = 'rgba(31,119,180,' + share.toFixed(3) + ')';
          if (share > 0.55) td.style.color = '#fff';
          tr.appendChild(td);
        });
        t.appendChild(tr);
      });
      box.appendChild(t);
      grid.appendChild(box);
    });
    section.appendChild(grid);
    var noisyRows = group.rows.filter(function (r) { return r.noiseRate !== null; });
    if (noisyRows.length) {
      section.appendChild(el('h3', null, 'RDFER: robustness to training-label noise (test labels clean)'));
      var rates = [];
      noisyRows.forEach(function (r) { if (rates.indexOf(r.noiseRate) < 0) rates.push(r.noiseRate); });
      rates.sort(function (a, b) { return a - b; });
      var series = [];
      noisyRows.forEach(function (r) { var k = r.model + ' · ' + r.method; if (series.indexOf(k) < 0) series.push(k); });
      var rdferGrid = el('div', { class: 'grid' });
      chart(rdferGrid, 'chart-rdfer-uar-' + g, {
        type: 'line',
        data: {
          labels: rates.map(function (p) { return String(Math.round(p * 1000) / 10); }),
          datasets: series.map(function (k, i) {
            return {
              label: k,
              data: rates.map(function (p) {
                var r = noisyRows.filter(function (x) { return x.model + ' · ' + x.method === k && x.noiseRate === p; })[0];
                return r ? r.uar.mean * 100 : null;
              }),
              borderColor: palette[i % palette.length],
              fill: false
            };
          })
        },
        options: { scales: { x: { title: { display: true, text: 'training-label noise %' } }, y: { beginAtZero: true, max: 100, title: { display: true, text: 'test UAR %' } } } }
      }, 'Test UAR against training-label noise (mean over folds × seeds)');
      var detected = noisyRows.filter(function (r) { return r.noisyDetection; });
      if (detected.length) {
        var nd = function (r, key) { var m = r.noisyDetection[key]; return m ? m.mean * 100 : null; };
        var ndErr = function (r, key) { var m = r.noisyDetection[key]; return m ? m.std * 100 : null; };
        chart(rdferGrid, 'chart-rdfer-detection-' + g, {
          type: 'bar',
          data: {
            labels: detected.map(function (r) { return r.label; }),
            datasets: [
              { label: 'precision (%)', data: detected.map(function (r) { return nd(r, 'precision'); }), errors: detected.map(function (r) { return ndErr(r, 'precision'); }), backgroundColor: palette[4] },
              { label: 'recall (%)', data: detected.map(function (r) { return nd(r, 'recall'); }), errors: detected.map(function (r) { return ndErr(r, 'recall'); }), backgroundColor: palette[5] }
            ]
          },
          options: { scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: '%' } } } },
          plugins: [errorBars]
        }, 'Noisy-sample detection of clip agreement (training clips, last epoch)');
      }
      section.appendChild(rdferGrid);
    }
    main.appendChild(section);
  });
  data.auGroups.forEach(function (group, g) {
    var section = el('section', { class: 'group', id: 'au-group-' + g });
    section.appendChild(el('h2', null, group.title));
    chart(section, 'chart-au-mean-' + g, {
      type: 'bar',
      data: {
        labels: group.rows.map(function (r) { return r.method; }),
        datasets: [
          { label: 'mean F1 (%)', data: group.rows.map(function (r) { return r.meanF1.mean * 100; }), errors: group.rows.map(function (r) { return r.meanF1.std * 100; }), backgroundColor: palette[0] },
          { label: 'mean F1, tuned thresholds (%)', data: group.rows.map(function (r) { return r.tunedMeanF1 ? r.tunedMeanF1.mean * 100 : null; }), errors: group.rows.map(function (r) { return r.tunedMeanF1 ? r.tunedMeanF1.std * 100 : null; }), backgroundColor: palette[1] }
        ]
      },
      options: { scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: '%' } } } },
      plugins: [errorBars]
    }, 'Mean F1 per arm (mean ± std over folds × seeds)');
    table(section, ['Model', 'Arm', 'Task', 'Gate', 'AU loss', 'n', 'Mean F1 %', 'Tuned %', 'Engine'], group.rows.map(function (r) {
      return [r.model, r.method, r.arm.task === 'au' ? 'AU only' : 'FER + AU', r.arm.gate ? 'yes' : 'no', r.arm.weighting === 'smooth' ? 'smooth class-weighted BCE' : 'plain BCE', String(r.meanF1.n), pct(r.meanF1), pct(r.tunedMeanF1), r.backends.join(', ')];
    }), 'au-summary');
    chart(section, 'chart-au-f1-' + g, {
      type: 'bar',
      data: {
        labels: group.auNames,
        datasets: group.rows.map(function (r, i) {
          return {
            label: r.method,
            data: r.f1.map(function (f) { return f ? f.mean * 100 : null; }),
            errors: r.f1.map(function (f) { return f ? f.std * 100 : null; }),
            backgroundColor: palette[i % palette.length]
          };
        })
      },
      options: { scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: 'F1 %' } } } },
      plugins: [errorBars]
    }, 'Per-AU F1 per arm (threshold 0.5)');
    main.appendChild(section);
  });
  var perfSection = el('section', { class: 'group', id: 'performance' });
  perfSection.appendChild(el('h2', null, 'Performance'));
  if (data.perf.length === 0) {
    perfSection.appendChild(el('p', null, 'No timings in this file (run bench perf).'));
  } else {
    table(perfSection, ['Task', 'Model', 'Preset', 'Engine', 'Shape', 'Metric', 'Value', 'Peak RSS MiB', 'Note'], data.perf.map(function (p) {
      return [p.task, p.model || '', p.preset || '', p.engine, p.shape ? p.shape.join('×') : '', p.metric, String(Number(p.value.toPrecision(4))), p.peakRssMiB !== undefined ? p.peakRssMiB.toFixed(0) : '', p.note || ''];
    }), 'perf');
    var train = data.perf.filter(function (p) { return p.metric === 'clips_per_second' && p.task === 'train_step'; });
    if (train.length) {
      chart(perfSection, 'chart-perf-train', {
        type: 'bar',
        data: { labels: train.map(function (p) { return (p.model || '') + ' · ' + p.engine; }), datasets: [{ label: 'training clips/s', data: train.map(function (p) { return p.value; }), backgroundColor: palette[2] }] },
        options: { scales: { y: { beginAtZero: true } } }
      }, 'Training throughput');
    }
    var lat = data.perf.filter(function (p) { return p.metric === 'latency_ms'; });
    if (lat.length) {
      chart(perfSection, 'chart-perf-latency', {
        type: 'bar',
        data: { labels: lat.map(function (p) { return (p.model || '') + ' · ' + p.engine; }), datasets: [{ label: 'inference latency (ms)', data: lat.map(function (p) { return p.value; }), backgroundColor: palette[3] }] },
        options: { scales: { y: { beginAtZero: true } } }
      }, 'Inference latency');
    }
  }
  if (data.perfTargets.length) {
    perfSection.appendChild(el('h3', null, 'Targets'));
    table(perfSection, ['Target', 'Ours', 'Reference', 'Ratio', 'Target', 'Met', 'Note'], data.perfTargets.map(function (t) {
      return [t.name, t.ours, t.reference, t.ratio.toFixed(2) + '×', '≤ ' + t.target + '×', t.met ? 'yes' : 'no (' + (t.ratio / t.target).toFixed(2) + '× over)', t.note || ''];
    }), 'targets');
  }
  if (data.perfProfile.length) {
    perfSection.appendChild(el('h3', null, 'Where the time goes (per-kernel profile)'));
    table(perfSection, ['Scope', 'Kernel', 'ms', 'Share'], data.perfProfile.map(function (k) {
      return [k.scope, k.kernel, k.ms.toFixed(1), (k.share * 100).toFixed(1) + ' %'];
    }), 'profile');
  }
  main.appendChild(perfSection);
  state.ready = true;
  document.body.setAttribute('data-ready', 'true');
})();
`;
