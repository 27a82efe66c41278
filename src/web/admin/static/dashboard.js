// cercapec back office: draws the dashboard's charts with uPlot from the JSON in
// <script type="application/json" id="dashboard-data">. A static file, because the CSP allows
// no inline script. Every chart also has its data as a table in the page.
(function () {
  'use strict';
  var source = document.getElementById('dashboard-data');
  if (!source || typeof uPlot === 'undefined') return;
  var data = JSON.parse(source.textContent);
  var tz = data.timeZone;
  var hourFmt = new Intl.DateTimeFormat(data.locale, { timeZone: tz, hour: '2-digit', minute: '2-digit' });
  var dayFmt = new Intl.DateTimeFormat(data.locale, { timeZone: tz, day: '2-digit', month: '2-digit' });
  // Counts are whole numbers: no 0.5 ticks.
  var countIncrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000];

  /**
   * Hour ticks in the back office's time zone and language, the day under the first tick of a
   * day; or only days, for periods drawn per day (chart.unit 'day').
   */
  function timeAxis(unit, xs) {
    if (unit === 'day') {
      // One tick per day (at Rome's midnight, not uPlot's local one), at most about 12 labels.
      var step = Math.max(1, Math.ceil(xs.length / 12));
      return axis({
        splits: function () { return xs.filter(function (_, i) { return i % step === 0; }); },
        values: function (u, splits) {
          return splits.map(function (ts) { return dayFmt.format(new Date(ts * 1000)); });
        },
      });
    }
    return axis({
      values: function (u, splits) {
        var lastDay = '';
        return splits.map(function (ts) {
          var d = new Date(ts * 1000);
          var day = dayFmt.format(d);
          var label = hourFmt.format(d) + (day !== lastDay ? '\n' + day : '');
          lastDay = day;
          return label;
        });
      },
    });
  }

  function timeValue(u, ts) {
    return ts == null ? '–' : dayFmt.format(new Date(ts * 1000)) + ' ' + hourFmt.format(new Date(ts * 1000));
  }

  /** Daily bars are centred on the day's start: half a day of room on both sides, so none is cut. */
  function halfDayMargins(u, min, max) {
    return [min - 43200, max + 43200];
  }

  function dayValue(u, ts) {
    return ts == null ? '–' : dayFmt.format(new Date(ts * 1000));
  }
  var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  var ink = dark ? '#c2c2c2' : '#4a4a4a';
  var grid = dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.08)';

  function axis(extra) {
    var a = { stroke: ink, grid: { stroke: grid }, ticks: { stroke: grid } };
    for (var k in extra) a[k] = extra[k];
    return a;
  }

  // Stacked bars: series i is drawn as the sum of series i..n-1, widest first, so each later
  // (narrower) sum covers the one before and the bands read as a stack. The legend shows the
  // series' own value, not the sum.
  function stacked(series) {
    var sums = series.map(function (s, i) {
      return s.values.map(function (_, j) {
        var total = 0;
        for (var k = i; k < series.length; k++) total += series[k].values[j] || 0;
        return total;
      });
    });
    return sums;
  }

  function fmtMs(v) {
    if (v == null) return '–';
    if (v < 1000) return Math.round(v) + ' ms';
    if (v < 120000) return Math.round(v / 1000) + ' s';
    if (v < 7200000) return Math.round(v / 60000) + ' min';
    return Math.round(v / 3600000) + ' h';
  }

  function build(el, chart) {
    var width = Math.max(280, el.clientWidth);
    var bars = uPlot.paths.bars({ size: [0.7, 60] });
    var opts = { width: width, height: 260, legend: { live: true }, series: [{ label: data.xLabels.time }], axes: [axis({}), axis({})], scales: {} };
    var payload;
    if (chart.kind === 'stacked-time' || chart.kind === 'stacked-categories') {
      var sums = stacked(chart.series);
      chart.series.forEach(function (s, i) {
        opts.series.push({
          label: s.label, fill: s.color, stroke: s.color, width: 0, paths: bars, points: { show: false },
          value: function (u, v, si, idx) { return idx == null ? '–' : String(chart.series[i].values[idx]); },
        });
      });
      opts.axes[1] = axis({ incrs: countIncrs });
      if (chart.kind === 'stacked-time') {
        payload = [chart.x].concat(sums);
        opts.axes[0] = timeAxis(chart.unit, chart.x);
        if (chart.unit === 'day') opts.scales.x = { time: true, range: halfDayMargins };
        opts.series[0].value = chart.unit === 'day' ? dayValue : timeValue;
      } else {
        payload = [chart.categories.map(function (_, i) { return i; })].concat(sums);
        opts.scales.x = { time: false, range: function () { return [-0.5, chart.categories.length - 0.5]; } };
        opts.axes[0] = axis({ splits: function () { return chart.categories.map(function (_, i) { return i; }); }, values: function () { return chart.categories; } });
        opts.series[0] = { label: data.xLabels.source, value: function (u, v) { return v == null ? '' : chart.categories[v] || ''; } };
      }
    } else {
      chart.series.forEach(function (s) {
        // Points too: an hour with answers between empty hours is a single point, not a line.
        opts.series.push({ label: s.label, stroke: s.color, width: 2, spanGaps: false, points: { show: true, size: 6, fill: s.color }, value: function (u, v) { return fmtMs(v); } });
      });
      payload = [chart.x].concat(chart.series.map(function (s) { return s.values; }));
      opts.axes[0] = timeAxis(chart.unit, chart.x);
      if (chart.unit === 'day') opts.scales.x = { time: true, range: halfDayMargins };
      opts.series[0].value = chart.unit === 'day' ? dayValue : timeValue;
      opts.scales.y = { distr: 3 };
      opts.axes[1] = axis({ values: function (u, splits) { return splits.map(fmtMs); }, size: 70 });
    }
    var plot = new uPlot(opts, payload, el);
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(function () {
        var w = Math.max(280, el.clientWidth);
        if (w !== plot.width) plot.setSize({ width: w, height: 260 });
      }).observe(el);
    }
    el.setAttribute('data-drawn', 'true');
  }

  Object.keys(data.charts).forEach(function (id) {
    var el = document.getElementById(id);
    if (el) build(el, data.charts[id]);
  });
})();
