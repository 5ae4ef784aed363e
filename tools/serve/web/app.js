/* caviar's dashboard: one page, no framework. Pages are routes of the URL's
 * hash (#/, #/sweep/ID, #/trial/ID, #/compare/ID,ID); each reads the JSON API
 * once and then follows the daemon's events, relayed by `caviar serve` as
 * Server-Sent Events: nothing here polls. Curves of a whole sweep, the
 * objective against each parameter and parallel coordinates are drawn on
 * canvases here (a sweep may have a million points); a trial's curves and
 * the comparison of sweeps use uPlot (tools/serve/web/vendor/). */
"use strict";

const BEST_K = 5;
const ROWS_SHOWN = 200;
const REDRAW_MS = 250;
const LINEAGE_MS = 1000;
const EPOCH_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
/* Each parameter kind, as the API names it, and the scale its axis is drawn
   on: common/spec.c's table (spec_kind_name, spec_kind_scale), copied;
   tests/e2e/test_vocab.sh fails when the two differ. */
const KINDS = {fixed: "linear", uniform: "linear", int: "int", log: "log", log_int: "log",
	reverse_log: "reverse_log", choice: "choice"};
const PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
	"#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

/* ---- small helpers ---- */

function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
		else if (k === "class") el.className = v;
		else if (k === "dataset") Object.assign(el.dataset, v);
		else el.setAttribute(k, v === true ? "" : v);
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false) continue;
		el.append(c instanceof Node ? c : String(c));
	}
	return el;
}

function fmt(v) {
	if (v === null || v === undefined || v === "") return "-";
	if (typeof v !== "number") return String(v);
	if (Number.isInteger(v)) return String(v);
	const a = Math.abs(v);
	if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2).replace(/\.?0+e/, "e");
	return String(Number(v.toPrecision(4)));
}

function fmtTime(t) {
	return t ? new Date(t * 1000).toLocaleString() : "-";
}

async function getJSON(path) {
	const r = await fetch(path, {credentials: "same-origin"});
	const body = await r.json().catch(() => ({}));
	if (!r.ok) throw new Error(body.error || r.status + " " + r.statusText);
	return body;
}

async function getBinary(path) {
	const r = await fetch(path, {credentials: "same-origin"});
	if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || r.statusText);
	return new Float64Array(await r.arrayBuffer());
}

async function post(path, body) {
	const r = await fetch(path, {method: "POST", credentials: "same-origin",
		headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {})});
	const reply = await r.json().catch(() => ({}));
	if (!r.ok) throw new Error(reply.error || r.statusText);
	return reply;
}

/* A button that runs an action and shows its error in msg. */
function actionButton(label, cls, fn, msg) {
	const b = h("button", {class: cls, id: "act-" + label.toLowerCase()}, label);
	b.addEventListener("click", async () => {
		b.disabled = true;
		msg.textContent = "";
		try {
			await fn();
		} catch (e) {
			msg.textContent = e.message;
		}
		b.disabled = false;
	});
	return b;
}

/* "label value", the label dimmed. */
function kv(k, v) {
	return h("span", {class: "kv"}, h("span", {}, k), v);
}

function statusSpan(s) {
	return h("span", {class: "status " + s}, s);
}

/* The note of a sweep (what: "sweep") or a trial, text as the page read it:
   shown in a text box, sent by Save as the daemon's note request (POST
   /api/WHAT/ID/note; an empty one clears it). set(text) shows a note changed
   elsewhere (its note event), unless one is being typed here (typing()).
   Returns {el, set, typing}. */
function noteEditor(what, id, text) {
	let saved = text || "";
	const box = h("textarea", {id: what + "-note", rows: 2, placeholder: "a note on this " +
		what + " (saved in the database, shown by caviar " + (what === "sweep" ? "ls" :
		"show") + ")"});
	box.value = saved;
	const answer = h("span", {class: "small", id: what + "-note-answer"});
	const save = actionButton("Save", "", async () => {
		const value = box.value;
		await post("/api/" + what + "/" + id + "/note", {text: value});
		saved = value;
		answer.textContent = value ? "saved" : "cleared";
	}, answer);
	save.id = what + "-note-save";
	box.addEventListener("input", () => { answer.textContent = ""; });
	return {el: h("div", {class: "card note"}, h("b", {}, "note"), box, save, answer),
		set(value) {
			if (box.value === saved) box.value = value;
			else answer.textContent = "changed elsewhere meanwhile: " + value;
			saved = value;
		},
		typing() { return box.value !== saved; }};
}

/* A parameter's axis on its own scale. p is what GET /api/sweep/ID says of
   it ({kind, range} or {kind, values}, the kind as spec_kind_name names it;
   {kind} alone as the lineage gives it; null when not known) and values are
   those it takes, on the kind's scale (KINDS): log10 for log (log and
   log_int), -log10(1-x) for reverse_log (0.9, 0.99, 0.999 evenly apart),
   linear and int (whole ticks), and a choice's values (or any that are not
   numbers) evenly apart, in the spec's order. Returns {kind (the scale
   drawn), f (a value's place on the axis), lo, hi, whole, label, cats}. */
function paramScale(p, values) {
	const scale = p ? KINDS[p.kind] : null;
	if (scale === "choice" || values.some(v => typeof v !== "number")) {
		const cats = scale === "choice" && p.values ? p.values.map(String) :
			[...new Set(values.map(String))].sort();
		return {kind: "choice", cats, f: v => cats.indexOf(String(v)), lo: -0.5,
			hi: cats.length - 0.5, label: v => cats[Math.round(v)] ?? ""};
	}
	const all = values.concat(p && Array.isArray(p.range) ? p.range : []);
	let f = v => v, inv = v => v, drawn = scale === "int" ? "int" : "linear";
	if (scale === "log" && all.every(v => v > 0)) {
		f = v => Math.log10(v);
		inv = v => Math.pow(10, v);
		drawn = scale;
	} else if (scale === "reverse_log" && all.every(v => v < 1)) {
		f = v => -Math.log10(1 - v);
		inv = v => 1 - Math.pow(10, -v);
		drawn = scale;
	}
	const e = extent(all.map(f)), log = drawn === "log";
	/* Decades (or 0.9, 0.99, ...) on an axis that spans one or more. */
	return {kind: drawn, f, lo: e.lo, hi: e.hi,
		whole: drawn === "int" || (drawn !== "linear" && e.hi - e.lo >= 1),
		label: v => fmt(Number(inv(v).toPrecision(log ? 2 : 4)))};
}

/* A goal's axis (the Pareto panel's): log10 when its values are all positive
   and span two decades or more (a parameter count, a latency: the small
   models, where a front usually bends, would sit in one pixel column on a
   linear axis), linear otherwise. As paramScale returns it. */
function goalScale(values) {
	const v = values.filter(Number.isFinite);
	const lo = Math.min(...v), hi = Math.max(...v);
	if (v.length && lo > 0 && hi / lo >= 100) return paramScale({kind: "log"}, v);
	return Object.assign(extent(v), {kind: "linear", f: x => x});
}

/* An axis title for a parameter: its name, and its scale when not linear. */
function paramTitle(name, sc) {
	return name + (["log", "reverse_log"].includes(sc.kind) ?
		" (" + sc.kind + ")" : "");
}

/* ---- canvas drawing ---- */

/* A canvas sized to its box and the screen's pixel ratio. */
function makeCanvas(width, height, id) {
	const c = h("canvas", {id});
	const r = window.devicePixelRatio || 1;
	c.width = Math.round(width * r);
	c.height = Math.round(height * r);
	c.style.width = width + "px";
	c.style.height = height + "px";
	c.getContext("2d").scale(r, r);
	return c;
}

/* About n round values in [lo, hi]; whole numbers only with whole. */
function ticks(lo, hi, n, whole) {
	let step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
	if (whole && step < 1) step = 1;
	const mult = [1, 2, 5, 10].find(m => (hi - lo) / (step * m) <= n) || 10;
	const s = step * mult, out = [];
	for (let v = Math.ceil(lo / s) * s; v <= hi + s * 1e-9; v += s) out.push(v);
	return out;
}

const PAD = {l: 56, r: 20, t: 10, b: 30};

/* Frame, grid, tick labels and axis titles; returns x(v) and y(v) in pixels,
   and the tick labels drawn on each axis (xticks, yticks). */
function axes(ctx, w, h, xs, ys, xlabel, ylabel) {
	const X = v => PAD.l + (v - xs.lo) / (xs.hi - xs.lo) * (w - PAD.l - PAD.r);
	const Y = v => h - PAD.b - (v - ys.lo) / (ys.hi - ys.lo) * (h - PAD.t - PAD.b);
	ctx.clearRect(0, 0, w, h);
	ctx.font = "11px system-ui, sans-serif";
	ctx.strokeStyle = "#e3e6ec";
	ctx.fillStyle = "#6b7383";
	ctx.lineWidth = 1;
	ctx.textAlign = "center";
	const xt = xs.cats ? xs.cats.map((_, i) => i) :
		ticks(xs.lo, xs.hi, Math.max(2, w / 90), xs.whole);
	const xticks = xt.map(v => xs.label ? xs.label(v) : fmt(v));
	xt.forEach((v, i) => {
		ctx.beginPath(); ctx.moveTo(X(v), PAD.t); ctx.lineTo(X(v), h - PAD.b); ctx.stroke();
		ctx.fillText(xticks[i], X(v), h - PAD.b + 13);
	});
	ctx.textAlign = "right";
	const yt = ys.cats ? ys.cats.map((_, i) => i) :
		ticks(ys.lo, ys.hi, Math.max(2, h / 45), ys.whole);
	const yticks = yt.map(v => ys.label ? ys.label(v) : fmt(v));
	yt.forEach((v, i) => {
		ctx.beginPath(); ctx.moveTo(PAD.l, Y(v)); ctx.lineTo(w - PAD.r, Y(v)); ctx.stroke();
		ctx.fillText(yticks[i], PAD.l - 4, Y(v) + 4);
	});
	ctx.textAlign = "center";
	ctx.fillText(xlabel, PAD.l + (w - PAD.l - PAD.r) / 2, h - 3);
	ctx.save();
	ctx.translate(11, PAD.t + (h - PAD.t - PAD.b) / 2);
	ctx.rotate(-Math.PI / 2);
	ctx.fillText(ylabel, 0, 0);
	ctx.restore();
	return {X, Y, xticks, yticks};
}

/* An axis of parallel coordinates at x from top to bottom: its title above,
   the values at its ends (top and bottom, as text). */
function verticalAxis(ctx, x, top, bottom, title, topText, bottomText) {
	ctx.font = "11px system-ui, sans-serif";
	ctx.textAlign = "center";
	ctx.strokeStyle = "#394152";
	ctx.lineWidth = 1;
	ctx.beginPath();
	ctx.moveTo(x, top);
	ctx.lineTo(x, bottom);
	ctx.stroke();
	ctx.fillStyle = "#1d2330";
	ctx.fillText(title, x, top - 20);
	ctx.fillStyle = "#6b7383";
	ctx.fillText(topText, x, top - 6);
	ctx.fillText(bottomText, x, bottom + 13);
}

/* What a chart drawn by axes shows, on its canvas for whoever reads the page
   (the browser test): its axis titles and tick labels, and n, what it
   counts (dots, points). */
function describe(c, drawn, xlabel, ylabel, n) {
	Object.assign(c.dataset, {xaxis: xlabel, yaxis: ylabel, xticks: drawn.xticks.join("|"),
		yticks: drawn.yticks.join("|"), points: n});
}

/* Hovering a canvas of dots names the one nearest the mouse (within 8
   pixels) in tip (text(dot) when given: its trial and value otherwise); a
   click opens its trial. c._dots holds the dots drawn last, each [x, y
   (pixels), trial, value]. */
function hoverDots(c, tip, text) {
	const nearest = e => {
		const b = c.getBoundingClientRect(), mx = e.clientX - b.left, my = e.clientY - b.top;
		let best = 64, hit = null;
		for (const d of c._dots || []) {
			const dx = d[0] - mx, dy = d[1] - my;
			if (dx * dx + dy * dy < best) { best = dx * dx + dy * dy; hit = d; }
		}
		return hit;
	};
	c.addEventListener("mousemove", e => {
		const hit = nearest(e);
		tip.style.display = hit ? "block" : "none";
		if (!hit) return;
		const t = hit[2], b = c.getBoundingClientRect();
		tip.textContent = text ? text(hit) : "trial " + t.id + " (no. " + t.number + ", " +
			t.status + "): " + fmt(hit[3]);
		tip.style.left = (e.clientX - b.left + c.offsetLeft + 14) + "px";
		tip.style.top = (e.clientY - b.top + c.offsetTop + 8) + "px";
	});
	c.addEventListener("mouseleave", () => { tip.style.display = "none"; });
	c.addEventListener("click", e => {
		const hit = nearest(e);
		if (hit) location.hash = "#/trial/" + hit[2].id;
	});
}

function extent(values) {
	let lo = Infinity, hi = -Infinity;
	for (const v of values) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
	if (lo === Infinity) return {lo: 0, hi: 1};
	if (lo === hi) return {lo: lo - 0.5, hi: hi + 0.5};
	const pad = (hi - lo) * 0.03;
	return {lo: lo - pad, hi: hi + pad};
}

/* A trial's row t (epochs, best_value, best_epoch) after the progress event
   ev: the epochs it ran, and its best so far, reached at this epoch when the
   best changed (as caviard keeps them, daemon/trial.c). */
function trackProgress(t, ev) {
	t.epochs = Math.max(t.epochs || 0, ev.epoch);
	if (typeof ev.best === "number" && ev.best !== t.best_value) {
		t.best_value = ev.best;
		t.best_epoch = ev.epoch;
	}
}

/* ---- the live connection ---- */

let page = null;

function setLive(on) {
	const el = document.getElementById("live");
	el.className = "live " + (on ? "on" : "off");
	el.textContent = on ? "live" : "offline";
}

const events = new EventSource("/api/events");
events.onmessage = e => {
	let ev;
	try { ev = JSON.parse(e.data); } catch (err) { return; }
	if (ev.event === "daemon") setLive(ev.connected);
	else if (ev.event === "snapshot") setLive(true);
	if (page && page.onEvent) page.onEvent(ev);
};
events.onerror = () => setLive(false);

/* ---- sweeps ---- */

function sweepsPage(main) {
	const msg = h("div", {class: "msg"});
	const body = h("tbody");
	const selected = new Set();
	let timer = null;
	const compare = h("button", {id: "compare", disabled: true, onclick: () => {
		location.hash = "#/compare/" + [...selected].join(",");
	}}, "compare selected");
	const slots = h("input", {type: "number", min: 1, id: "slots"});
	const slotsRow = h("span", {class: "small"}, "slots ", slots, " ",
		actionButton("Set", "", async () => {
			const r = await post("/api/slots", {n: Number(slots.value)});
			slots.value = r.slots;
		}, msg));
	main.append(h("h1", {}, "Sweeps"),
		h("div", {class: "row card"}, compare, slotsRow, msg),
		h("div", {class: "scroll"}, h("table", {id: "sweeps"},
			h("thead", {}, h("tr", {}, ["", "id", "name", "status", "progress", "done",
				"running", "queued", "pruned", "failed", "cancelled", "objective",
				"best", "best trial", "note"].map(t => h("th", {}, t)))), body)));

	function row(s) {
		const ended = s.ended || 0, budget = s.budget || 0;
		const box = h("input", {type: "checkbox", checked: selected.has(s.sweep_id),
			onchange: e => {
				if (e.target.checked) selected.add(s.sweep_id);
				else selected.delete(s.sweep_id);
				compare.disabled = selected.size < 2;
			}});
		const tags = (s.tags || []).map(t => "#" + t).join(" ");
		return h("tr", {dataset: {sweep: s.sweep_id}}, h("td", {}, box),
			h("td", {}, h("a", {href: "#/sweep/" + s.sweep_id}, s.sweep_id)),
			h("td", {}, h("a", {href: "#/sweep/" + s.sweep_id}, s.name)),
			h("td", {}, statusSpan(s.status)),
			h("td", {}, h("span", {class: "bar"}, h("i", {style: "width:" +
				(budget ? Math.min(100, 100 * ended / budget) : 0) + "%"})),
				" " + ended + "/" + budget),
			["done", "running", "queued", "pruned", "failed", "cancelled"].map(k =>
				h("td", {class: "num"}, s[k] || 0)),
			h("td", {}, s.metric + " (" + s.mode + ")"),
			h("td", {class: "num"}, fmt(s.best)),
			h("td", {}, s.best_trial_id ? h("a", {href: "#/trial/" + s.best_trial_id},
				s.best_trial_id) : "-"),
			h("td", {}, [tags, s.note].filter(Boolean).join(" ")));
	}
	async function load() {
		try {
			const r = await getJSON("/api/sweeps");
			body.replaceChildren(...r.sweeps.slice().reverse().map(row));
			main.dataset.loaded = "1";
		} catch (e) {
			msg.textContent = e.message;
		}
	}
	/* Without a daemon (serve --db), there is nothing to set. */
	getJSON("/api/status").then(r => {
		slots.value = r.slots;
		slotsRow.hidden = !r.ok;
	}).catch(() => { slotsRow.hidden = true; });
	load();
	return {
		onEvent(ev) {
			if (ev.event === "progress" || timer) return;
			timer = setTimeout(() => { timer = null; load(); }, 300);
		},
		destroy() { clearTimeout(timer); },
	};
}

/* ---- one sweep ---- */

function sweepPage(main, id) {
	const msg = h("div", {class: "msg"});
	const st = {sweep: null, trials: new Map(), metric: null, max: true, sortKey: "rank",
		sortDir: 1, showAll: false, dirty: false, timer: null, params: [], lower: null,
		goals: [], pareto: null, paretoDirty: false, paretoBusy: false, paretoTries: 0};
	main.append(h("div", {class: "small"}, "loading sweep " + id + "..."));

	function better(a, b) { return st.max ? a > b : a < b; }
	function addTrial(t) {
		rankedMemo = null;
		const x = st.trials.get(t.id) || {id: t.id, xs: [], ys: []};
		Object.assign(x, t);
		st.trials.set(t.id, x);
		return x;
	}
	/* Trials by their value so far: counted ones, and running ones by their best. */
	function leading() {
		const v = shownObjective;
		return [...st.trials.values()].filter(t => typeof v(t) === "number")
			.sort((a, b) => st.max ? v(b) - v(a) : v(a) - v(b));
	}
	/* The counted trials, best first: sorted once per change of the trials
	   (addTrial forgets it), not once per chart. The caller does not change
	   the array. */
	let rankedMemo = null;
	function ranked() {
		const v = t => t.objective;
		return rankedMemo || (rankedMemo = [...st.trials.values()]
			.filter(t => typeof v(t) === "number")
			.sort((a, b) => st.max ? v(b) - v(a) : v(a) - v(b)));
	}

	/* The curves of metric (null: the objective's) as trial, epoch, value. */
	function fetchPoints(metric) {
		return getBinary("/api/sweep/" + id + "/points" +
			(metric ? "?metric=" + encodeURIComponent(metric) : ""));
	}
	function setPoints(v) {
		for (const t of st.trials.values()) { t.xs = []; t.ys = []; }
		let t = null;
		for (let i = 0; i < v.length; i += 3) { /* by trial: one lookup per trial */
			if (!t || t.id !== v[i])
				t = st.trials.get(v[i]) || {id: v[i], xs: [], ys: []};
			t.xs.push(v[i + 1]);
			t.ys.push(v[i + 2]);
		}
	}

	let curves, tip, board, slice, parallel, header, rounds, importance, importanceOf, lineage,
		note;
	let history, historyX, contour, contourX, contourY;
	let paretoCanvas, paretoX, paretoY, paretoParallel = null, paretoAll;

	function drawCurves() {
		const c = curves, w = parseFloat(c.style.width), hh = parseFloat(c.style.height);
		const ctx = c.getContext("2d");
		let xmax = 1, lo = Infinity, hi = -Infinity;
		for (const t of st.trials.values()) {
			if (t.xs.length) xmax = Math.max(xmax, t.xs[t.xs.length - 1]);
			for (const y of t.ys) if (y < lo) lo = y; else if (y > hi) hi = y;
		}
		const ye = extent([lo, hi]);
		const {X, Y} = axes(ctx, w, hh, {lo: 0, hi: xmax, whole: true}, ye, "epoch",
			st.metric);
		const best = leading().slice(0, BEST_K);
		const bestIds = new Set(best.map(t => t.id));
		let points = 0;
		const layer = (style, width, pick) => {
			ctx.strokeStyle = style;
			ctx.lineWidth = width;
			ctx.beginPath();
			let n = 0;
			for (const t of st.trials.values()) {
				if (!pick(t) || !t.xs.length) continue;
				ctx.moveTo(X(t.xs[0]), Y(t.ys[0]));
				for (let i = 1; i < t.xs.length; i++)
					ctx.lineTo(X(t.xs[i]), Y(t.ys[i]));
				if (t.xs.length === 1) ctx.lineTo(X(t.xs[0]) + 1, Y(t.ys[0]));
				points += t.xs.length;
				if ((n += t.xs.length) > 50000) { /* long paths stroke slowly */
					ctx.stroke();
					ctx.beginPath();
					n = 0;
				}
			}
			ctx.stroke();
		};
		const faint = t => t.status === "pruned" || t.status === "failed" ||
			t.status === "cancelled";
		layer("rgba(107,115,131,0.15)", 1, t => !bestIds.has(t.id) && faint(t));
		layer("rgba(47,111,214,0.35)", 1, t => !bestIds.has(t.id) && !faint(t));
		best.slice().reverse().forEach(t => {
			const k = best.indexOf(t);
			layer(PALETTE[k % PALETTE.length], 2.5, x => x === t);
		});
		c.dataset.points = points;
		c.dataset.trials = st.trials.size;
		c._xy = {X, Y};
		document.getElementById("curves-count").textContent = points + " points, " +
			st.trials.size + " trials; best " + BEST_K +
			" in colour, pruned ones faint";
		document.getElementById("curves-legend").replaceChildren(...best.map((t, k) =>
			h("span", {}, h("i", {style: "background:" + PALETTE[k]}),
				"trial " + t.id + " " + fmt(t.objective ?? t.best_value))));
	}

	/* The trial nearest the mouse, within 10 pixels. */
	function nearest(mx, my) {
		const {X, Y} = curves._xy;
		let bestD = 100, hit = null;
		for (const t of st.trials.values())
			for (let i = 0; i < t.xs.length; i++) {
				const dx = X(t.xs[i]) - mx, dy = Y(t.ys[i]) - my;
				const d = dx * dx + dy * dy;
				if (d < bestD) { bestD = d; hit = [t, i]; }
			}
		return hit;
	}

	function columns() {
		const names = new Set();
		for (const t of st.trials.values())
			for (const k of Object.keys(t.params || {})) names.add(k);
		return [...names];
	}

	/* Rank as the database's leaderboard view gives it: counted trials only,
	   best first, ties sharing a rank. */
	function ranks() {
		const out = new Map();
		ranked().forEach((t, i, a) => out.set(t.id, i && a[i - 1].objective === t.objective ?
			out.get(a[i - 1].id) : i + 1));
		return out;
	}
	/* What the objective column shows: a counted trial's objective, a running
	   one's best so far. */
	function shownObjective(t) {
		return t.objective ?? (t.status === "running" ? t.best_value : null);
	}
	/* A click sorts by a column: the objective best first, any other
	   ascending; a second click turns it. */
	function sortBy(k) {
		if (st.sortKey === k) st.sortDir = -st.sortDir;
		else st.sortDir = k === "objective" && st.max ? -1 : 1;
		st.sortKey = k;
		drawBoard();
	}

	const BOARD_KEYS = ["rank", "id", "number", "status", "objective", "best_epoch", "epochs"];
	const BOARD_LABELS = {id: "trial", number: "no.", best_epoch: "best epoch"};
	let boardHead = "", boardRows = new Map(); /* kept: rows are updated in place */

	/* A row's cells as text, and the class of each (its status's, "sofar"). */
	function boardCells(t, rank, params) {
		const sofar = t.objective === undefined || t.objective === null;
		return [[rank.get(t.id) || "-", "num"], [t.id, "link"], [t.number, "num"],
			[t.status, "status " + t.status],
			[fmt(shownObjective(t)), "num" + (sofar ? " sofar" : "")],
			[fmt(t.best_epoch), "num"], [fmt(t.epochs), "num"],
			...params.map(p => [fmt((t.params || {})[p]), "num"])];
	}
	function boardRow(t, cells) {
		let tr = boardRows.get(t.id);
		if (!tr || tr.children.length !== cells.length) {
			tr = h("tr", {dataset: {trial: t.id}}, cells.map(([, cls]) => cls === "link" ?
				h("td", {}, h("a", {href: "#/trial/" + t.id}, t.id)) : h("td")));
			boardRows.set(t.id, tr);
		}
		cells.forEach(([text, cls], i) => {
			const td = tr.children[i];
			if (cls === "link") return;
			text = String(text);
			if (td.textContent !== text) td.textContent = text;
			if (td.className !== cls) td.className = cls;
		});
		if (cells[4][1].includes("sofar")) tr.children[4].title = "best so far: it runs";
		else tr.children[4].removeAttribute("title");
		return tr;
	}

	/* The trial table's filter: a status, and a range of one parameter
	   (either end may be left empty); made once, its params as the board
	   draws them. */
	const filter = {status: h("select", {id: "filter-status", onchange: () => drawBoard()},
		["", "queued", "running", "done", "pruned", "failed", "cancelled"].map(x =>
			h("option", {value: x}, x || "any status"))),
	param: h("select", {id: "filter-param", onchange: () => drawBoard()}),
	lo: h("input", {id: "filter-from", size: 7, oninput: () => drawBoard()}),
	hi: h("input", {id: "filter-to", size: 7, oninput: () => drawBoard()}),
	count: h("span", {id: "board-count", class: "small"})};
	function filterOf() {
		const params = columns(), f = filter;
		if (f.param.options.length !== params.length + 1)
			f.param.replaceChildren(h("option", {value: ""}, "any parameter"),
				...params.map(p => h("option", {value: p, selected: p === f.param.value}, p)));
		const status = f.status.value, p = f.param.value;
		const num = el => el.value.trim() === "" ? null : Number(el.value);
		const lo = num(f.lo), hi = num(f.hi);
		return t => {
			if (status && t.status !== status) return false;
			if (!p || (lo === null && hi === null)) return true;
			const v = (t.params || {})[p];
			return typeof v === "number" && (lo === null || v >= lo) &&
				(hi === null || v <= hi);
		};
	}

	/* The leaderboard: sorted by rank unless a column was clicked, every row
	   as the trial is now (drawn again at each redraw, the live ones too). */
	function drawBoard() {
		const params = columns();
		const keys = BOARD_KEYS.concat(params.map(p => "p:" + p));
		const rank = ranks();
		const val = (t, k) => k === "rank" ? rank.get(t.id) : k === "objective" ?
			shownObjective(t) : k.startsWith("p:") ? (t.params || {})[k.slice(2)] : t[k];
		const all = [...st.trials.values()], keep = filterOf();
		const rows = all.filter(keep).sort((a, b) => {
			const x = val(a, st.sortKey), y = val(b, st.sortKey);
			if (x === y) return a.number - b.number;
			if (x === undefined || x === null) return 1;
			if (y === undefined || y === null) return -1;
			return (x < y ? -1 : 1) * st.sortDir;
		});
		const headSig = keys.join(",") + "|" + st.sortKey + st.sortDir;
		if (headSig !== boardHead || !board.firstChild) {
			boardHead = headSig;
			boardRows = new Map();
			const head = keys.map(k => h("th", {class: "sort", dataset: {key: k},
				title: st.sortKey === k ? "sorted by it, " + (st.sortDir > 0 ?
					"ascending" : "descending") + "; click to turn" : "click to sort by it",
				onclick: () => sortBy(k)},
			(k.startsWith("p:") ? k.slice(2) : BOARD_LABELS[k] || k) +
				(st.sortKey === k ? (st.sortDir > 0 ? " \u25b2" : " \u25bc") : "")));
			board.replaceChildren(h("div", {class: "scroll"}, h("table", {id: "leaderboard"},
				h("thead", {}, h("tr", {}, head)), h("tbody"))),
			h("div", {id: "board-more"}));
		}
		const shown = st.showAll ? rows : rows.slice(0, ROWS_SHOWN);
		const trs = shown.map(t => boardRow(t, boardCells(t, rank, params)));
		const body = board.querySelector("tbody"), now = body.children;
		if (now.length !== trs.length || trs.some((tr, i) => now[i] !== tr))
			body.replaceChildren(...trs);
		const count = rows.length === all.length ? all.length + " trials" :
			rows.length + " of " + all.length + " trials";
		if (filter.count.textContent !== count) filter.count.textContent = count;
		const more = document.getElementById("board-more");
		const label = rows.length > shown.length ? "show all " + rows.length : "";
		if (more.textContent !== label)
			more.replaceChildren(label ? h("button", {onclick: () => {
				st.showAll = true; drawBoard();
			}}, label) : "");
	}

	/* A colour by rank r (0 the best) of n, green (best) to red, in 16 steps
	   so that a canvas can draw each step's marks in one path; the best K
	   opaque. */
	function rankColour(r, n) {
		const q = n > 1 ? Math.round(15 * r / (n - 1)) / 15 : 0; /* 0 best, 1 worst */
		const alpha = r < BEST_K ? 1 : 0.55;
		return "hsla(" + Math.round(130 - 130 * q) + ",70%,40%," + alpha + ")";
	}
	function colourOf(rankMap, n, t) {
		const r = rankMap.get(t.id);
		return r === undefined ? "rgba(107,115,131,0.25)" : rankColour(r, n);
	}
	/* Groups trials by colour, worst first (the best are drawn last, on top). */
	function byColour(rankMap, done) {
		const groups = new Map();
		for (const t of done.slice().reverse()) {
			const c = colourOf(rankMap, done.length, t);
			if (!groups.has(c)) groups.set(c, []);
			groups.get(c).push(t);
		}
		return groups;
	}

	/* The parameters the spec samples, in its order (for a spec the server
	   could not read, those the trials have), and one's axis on its own
	   scale (paramScale) over the values its trials took. */
	function sampled() {
		const ps = st.params.filter(p => p.kind !== "fixed").map(p => p.name);
		return ps.length || st.params.length ? ps : columns();
	}
	function scaleOf(name) {
		const vals = [];
		for (const t of st.trials.values()) {
			const v = (t.params || {})[name];
			if (v !== undefined) vals.push(v);
		}
		return paramScale(st.params.find(p => p.name === name), vals);
	}

	/* Each counted trial's marks, as squares of half-size r (pruned ones
	   smaller), in groups by colour (byColour), at x(t), y(t) (NaN: none);
	   returns the dots drawn for hoverDots. */
	function dotsByRank(ctx, done, x, y) {
		const rankMap = new Map(done.map((t, i) => [t.id, i])), dots = [];
		for (const [colour, group] of byColour(rankMap, done)) {
			ctx.fillStyle = colour;
			ctx.beginPath();
			for (const t of group) {
				const px = x(t), py = y(t), r = t.status === "pruned" ? 2 : 3;
				if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
				ctx.rect(px - r, py - r, 2 * r, 2 * r);
				dots.push([px, py, t, t.objective]);
			}
			ctx.fill();
		}
		return dots;
	}

	/* The slice panel: the objective against each sampled parameter, one
	   small chart each, the parameter on its own scale. */
	function drawSlice() {
		const done = ranked(), ys = extent(done.map(t => t.objective));
		slice.replaceChildren(...sampled().map(p => {
			const sc = scaleOf(p), c = makeCanvas(300, 200, "slice-" + p);
			const ctx = c.getContext("2d"), xlabel = paramTitle(p, sc);
			const drawn = axes(ctx, 300, 200, sc, ys, xlabel, st.metric);
			const v = t => (t.params || {})[p];
			c._dots = dotsByRank(ctx, done, t => v(t) === undefined ? NaN : drawn.X(sc.f(v(t))),
				t => drawn.Y(t.objective));
			describe(c, drawn, xlabel, st.metric, c._dots.length);
			c.dataset.scale = sc.kind;
			const cell = h("div", {class: "card chart"}, c, h("div", {class: "tip"}));
			hoverDots(c, cell.lastChild);
			return cell;
		}));
	}

	/* The optimization history: each counted trial's objective (done ones
	   filled, pruned ones hollow: they count, as in the leaderboard) and the
	   best so far as a step line, against the trial's number or the time it
	   ended since the sweep was created (as historyX says). Failed and cancelled
	   trials have no objective: they are left out, and the legend says how
	   many. */
	function drawHistory() {
		const c = history, w = parseFloat(c.style.width), hh = parseFloat(c.style.height);
		const byTime = historyX.value === "time", t0 = st.sweep.created_at || 0;
		const done = ranked().filter(t => !byTime || typeof t.ended_at === "number");
		let span = 0;
		if (byTime) for (const t of done) span = Math.max(span, t.ended_at - t0);
		const [unit, units] = span > 7200 ? [3600, "hours"] : span > 120 ? [60, "minutes"] :
			[1, "seconds"];
		const xOf = byTime ? t => (t.ended_at - t0) / unit : t => t.number;
		done.sort((a, b) => xOf(a) - xOf(b) || a.number - b.number);
		const xlabel = byTime ? units + " since the sweep started" : "trial no.";
		const ylabel = st.metric + " (" + st.sweep.mode + ")";
		const xs = Object.assign(extent(done.map(xOf)), {whole: !byTime});
		const ctx = c.getContext("2d");
		const drawn = axes(ctx, w, hh, xs, extent(done.map(t => t.objective)), xlabel, ylabel);
		const {X, Y} = drawn, dots = done.map(t => [X(xOf(t)), Y(t.objective), t, t.objective]);
		ctx.fillStyle = "rgba(47,111,214,0.55)";
		ctx.strokeStyle = "rgba(107,115,131,0.8)";
		ctx.lineWidth = 1;
		for (const pruned of [false, true]) {
			ctx.beginPath();
			for (const d of dots)
				if ((d[2].status === "pruned") === pruned) ctx.rect(d[0] - 2.5, d[1] - 2.5, 5, 5);
			if (pruned) ctx.stroke(); else ctx.fill();
		}
		let best = null; /* the step line: down (or up) at each new best */
		ctx.strokeStyle = PALETTE[0];
		ctx.lineWidth = 2;
		ctx.beginPath();
		for (const [x, y, t] of dots) {
			if (best && !better(t.objective, best.objective)) continue;
			if (best) ctx.lineTo(x, Y(best.objective));
			if (best) ctx.lineTo(x, y); else ctx.moveTo(x, y);
			best = t;
		}
		if (best) ctx.lineTo(dots[dots.length - 1][0], Y(best.objective));
		ctx.stroke();
		c._dots = dots;
		describe(c, drawn, xlabel, ylabel, dots.length);
		c.dataset.best = best ? best.objective : "";
		const none = [...st.trials.values()].filter(t => t.status === "failed" ||
			t.status === "cancelled").length;
		document.getElementById("history-legend").replaceChildren(
			h("span", {}, h("i", {class: "dot"}), "done"),
			h("span", {}, h("i", {class: "dot hollow"}), "pruned (counted, as ranked)"),
			h("span", {}, h("i", {style: "background:" + PALETTE[0]}), "best so far: ",
				h("b", {id: "history-best"}, best ? fmt(best.objective) : "-"),
				best ? " (trial " + best.id + ")" : ""),
			h("span", {}, "; " + dots.length + " counted trials shown" + (none ? ", " + none +
				" failed or cancelled left out (no objective)" : "")));
	}

	/* A select of names keeping its choice; k, the default's index. */
	function fillSelect(sel, names, k) {
		if ([...sel.options].map(o => o.value).join() === names.join()) return;
		const was = sel.value;
		sel.replaceChildren(...names.map((n, i) => h("option", {value: n,
			selected: names.includes(was) ? n === was : i === Math.min(k, names.length - 1)},
		n)));
	}

	/* The contour of two chosen parameters, each on its own scale: every
	   counted trial a dot coloured by rank (best green, as the slice and
	   parallel coordinates), over a grid of cells (one per value of a choice)
	   coloured by the best trial in each; the legend gives the objective at
	   each colour. */
	function drawContour() {
		const names = sampled(), c = contour, w = parseFloat(c.style.width);
		const hh = parseFloat(c.style.height), ctx = c.getContext("2d");
		fillSelect(contourX, names, 0);
		fillSelect(contourY, names, 1);
		const px = contourX.value, py = contourY.value, all = ranked();
		if (names.length < 2) {
			ctx.clearRect(0, 0, w, hh);
			document.getElementById("contour-legend").textContent =
				"the spec samples fewer than two parameters";
			return;
		}
		const sx = scaleOf(px), sy = scaleOf(py), rankMap = new Map(all.map((t, i) => [t.id, i]));
		const xlabel = paramTitle(px, sx), ylabel = paramTitle(py, sy);
		const drawn = axes(ctx, w, hh, sx, sy, xlabel, ylabel);
		const v = (t, p, sc) => {
			const x = (t.params || {})[p];
			return x === undefined ? NaN : sc.f(x);
		};
		/* cells: about 1.5 trials each across (at most 24), 2/3 as many up */
		const cut = Math.min(24, Math.max(4, Math.ceil(1.2 * Math.sqrt(all.length))));
		const gx = sx.cats ? sx.cats.length : cut;
		const gy = sy.cats ? sy.cats.length : Math.max(3, Math.round(cut * 2 / 3));
		const cellOf = (x, sc, n) => Math.min(n - 1, Math.max(0, Math.floor((x - sc.lo) /
			(sc.hi - sc.lo) * n)));
		const cells = new Map();
		for (const t of all) {
			const x = v(t, px, sx), y = v(t, py, sy);
			if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
			const k = cellOf(x, sx, gx) * gy + cellOf(y, sy, gy);
			if (!cells.has(k)) cells.set(k, t); /* all is best first */
		}
		ctx.globalAlpha = 0.3;
		for (const [k, t] of cells) {
			const i = Math.floor(k / gy), j = k % gy;
			const x0 = drawn.X(sx.lo + i * (sx.hi - sx.lo) / gx);
			const x1 = drawn.X(sx.lo + (i + 1) * (sx.hi - sx.lo) / gx);
			const y0 = drawn.Y(sy.lo + j * (sy.hi - sy.lo) / gy);
			const y1 = drawn.Y(sy.lo + (j + 1) * (sy.hi - sy.lo) / gy);
			ctx.fillStyle = colourOf(rankMap, all.length, t);
			ctx.fillRect(x0, y1, x1 - x0, y0 - y1);
		}
		ctx.globalAlpha = 1;
		c._dots = dotsByRank(ctx, all, t => drawn.X(v(t, px, sx)), t => drawn.Y(v(t, py, sy)));
		describe(c, drawn, xlabel, ylabel, c._dots.length);
		c.dataset.xscale = sx.kind;
		c.dataset.yscale = sy.kind;
		/* The colour scale: 16 steps of rank, each labelled by the objective
		   of the trial at that rank. */
		const steps = all.length ? [...Array(Math.min(16, all.length)).keys()] : [];
		const at = s => Math.round(s * (all.length - 1) / Math.max(1, steps.length - 1));
		document.getElementById("contour-legend").replaceChildren(
			"colour: " + st.metric + " by rank, best ",
			...steps.map(s => h("i", {class: "swatch", title: fmt(all[at(s)].objective),
				style: "background:" + rankColour(at(s), all.length)})),
			" worst; " + (all.length ? fmt(all[0].objective) + " … " +
				fmt(all[at(steps.length - 1)].objective) : "no counted trial yet") +
			"; a cell's colour is its best trial's");
	}

	function drawParallel() {
		const params = columns(), done = ranked();
		const rankMap = new Map(done.map((t, i) => [t.id, i]));
		const w = Math.max(400, parallel.clientWidth || 900), hh = 280;
		const c = makeCanvas(w, hh, "parallel-canvas"), ctx = c.getContext("2d");
		const axesList = params.map(p => {
			const sc = scaleOf(p);
			return {name: p, sc, get: t => {
				const v = (t.params || {})[p];
				return v === undefined ? NaN : sc.f(v);
			}};
		});
		const ye = extent(done.map(t => t.objective));
		axesList.push({name: st.metric, sc: {lo: ye.lo, hi: ye.hi, label: fmt},
			get: t => t.objective});
		const n = axesList.length, top = 36, bottom = hh - 20;
		const ax = i => 40 + i * (w - 80) / Math.max(1, n - 1);
		const ay = (a, v) => bottom - (v - a.sc.lo) / (a.sc.hi - a.sc.lo) * (bottom - top);
		ctx.lineWidth = 1;
		for (const [colour, group] of byColour(rankMap, done)) {
			ctx.strokeStyle = colour;
			ctx.beginPath();
			for (const t of group) {
				let pen = false;
				axesList.forEach((a, i) => {
					const v = a.get(t);
					if (!Number.isFinite(v)) { pen = false; return; }
					if (pen) ctx.lineTo(ax(i), ay(a, v));
					else ctx.moveTo(ax(i), ay(a, v));
					pen = true;
				});
			}
			ctx.stroke();
		}
		axesList.forEach((a, i) => verticalAxis(ctx, ax(i), top, bottom, a.name,
			a.sc.label(a.sc.hi), a.sc.label(a.sc.lo)));
		parallel.replaceChildren(c);
	}

	/* ---- the Pareto panel (a sweep with goals: several objectives or a
	   constraint) ---- */

	/* A goal's value for a row of GET /api/sweep/ID/pareto (null: never
	   reported), its sense (1: larger is better) and its axis title. A
	   constraint is better away from its bound: smaller under a max. */
	function goalValue(row, g) {
		const v = (g.kind === "objective" ? row.objectives : row.constraints) || {};
		return typeof v[g.metric] === "number" ? v[g.metric] : null;
	}
	function goalSense(g) {
		return g.kind === "objective" ? (g.mode === "max" ? 1 : -1) : (g.hi !== null ? -1 : 1);
	}
	/* axis: "x" or "y" adds the way that is better along it. */
	function goalTitle(g, axis) {
		if (g.kind !== "objective")
			return g.metric + " (constraint" + (g.lo !== null ? " \u2265 " + fmt(g.lo) : "") +
				(g.hi !== null ? " \u2264 " + fmt(g.hi) : "") + ")";
		const up = g.mode === "max", arrows = {x: up ? "\u2192" : "\u2190",
			y: up ? "\u2191" : "\u2193"};
		return g.metric + " (" + g.mode + (axis ? ", better " + arrows[axis] : "") + ")";
	}
	function paretoText(d) {
		const t = d[2], vals = st.pareto.goals.map(g => g.metric + " " + fmt(goalValue(t, g)));
		return "trial " + t.id + " (no. " + t.number + ", " + t.status + "): " + vals.join(", ") +
			"; rank " + t.rank + (t.feasible ? "" : "; infeasible by " + fmt(t.violation));
	}
	/* Of the dots ([x, y, row] with values vx, vy), those no other beats on
	   both axes (sx, sy: each one's sense), sorted across: the step line. */
	function front2d(dots, sx, sy) {
		const beats = (a, b) => sx * (a.vx - b.vx) >= 0 && sy * (a.vy - b.vy) >= 0 &&
			(a.vx !== b.vx || a.vy !== b.vy);
		return dots.filter(a => !dots.some(b => beats(b, a))).sort((a, b) => a[0] - b[0]);
	}

	const PARETO_FAINT = 0.4; /* the alpha of dominated trials */
	/* Every ranked trial (the pareto view's: done or pruned) as a dot at its
	   values of the two goals chosen, the front (rank 0) opaque and joined by
	   a step line (the corner between two is the worse of each: what the
	   front dominates lies beyond it), the others faint, infeasible ones
	   hollow. */
	function drawParetoScatter() {
		const goals = st.pareto.goals, c = paretoCanvas, ctx = c.getContext("2d");
		const w = parseFloat(c.style.width), hh = parseFloat(c.style.height);
		const names = goals.map(g => g.metric);
		fillSelect(paretoX, names, 0);
		fillSelect(paretoY, names, 1);
		const gx = goals[names.indexOf(paretoX.value)], gy = goals[names.indexOf(paretoY.value)];
		const rows = st.pareto.trials.filter(t => goalValue(t, gx) !== null &&
			goalValue(t, gy) !== null);
		const sx = goalScale(rows.map(t => goalValue(t, gx)));
		const sy = goalScale(rows.map(t => goalValue(t, gy)));
		const logged = (title, sc) => sc.kind === "log" ? title.replace(/\)$/, ", log)") : title;
		const xlabel = logged(goalTitle(gx, "x"), sx), ylabel = logged(goalTitle(gy, "y"), sy);
		const drawn = axes(ctx, w, hh, sx, sy, xlabel, ylabel);
		const dots = rows.map(t => Object.assign([drawn.X(sx.f(goalValue(t, gx))),
			drawn.Y(sy.f(goalValue(t, gy))), t], {vx: goalValue(t, gx), vy: goalValue(t, gy)}));
		const front = dots.filter(d => d[2].rank === 0);
		const step = front2d(front, goalSense(gx), goalSense(gy));
		ctx.strokeStyle = PALETTE[0];
		ctx.lineWidth = 1.5;
		ctx.beginPath();
		step.forEach((d, i) => {
			if (!i) { ctx.moveTo(d[0], d[1]); return; }
			const p = step[i - 1], worseY = goalSense(gy) * (d.vy - p.vy) < 0 ? d[1] : p[1];
			ctx.lineTo(goalSense(gx) * (d.vx - p.vx) < 0 ? d[0] : p[0], worseY);
			ctx.lineTo(d[0], d[1]);
		});
		ctx.stroke();
		for (const d of dots.filter(d => d[2].rank !== 0).concat(front)) {
			const on = d[2].rank === 0, r = on ? 4 : 3.5;
			ctx.globalAlpha = on ? 1 : PARETO_FAINT;
			ctx.beginPath();
			ctx.arc(d[0], d[1], r, 0, 2 * Math.PI);
			if (d[2].feasible) {
				ctx.fillStyle = on ? PALETTE[0] : PALETTE[1];
				ctx.fill();
			} else {
				ctx.strokeStyle = on ? PALETTE[0] : "#394152";
				ctx.lineWidth = 1.5;
				ctx.stroke();
			}
		}
		ctx.globalAlpha = 1;
		c._dots = dots;
		describe(c, drawn, xlabel, ylabel, dots.length);
		const infeasible = dots.filter(d => !d[2].feasible).length;
		Object.assign(c.dataset, {front: front.length, step: step.length, infeasible,
			frontIds: front.map(d => d[2].id).sort((a, b) => a - b).join(","),
			frontAlpha: 1, faintAlpha: PARETO_FAINT});
		const left = st.pareto.trials.length - rows.length;
		document.getElementById("pareto-legend").replaceChildren(
			h("span", {}, h("i", {class: "dot front"}), "the front (rank 0): " + front.length),
			h("span", {}, h("i", {class: "dot faint"}), "dominated: " + (dots.length -
				front.length)),
			h("span", {}, h("i", {class: "dot ring"}), "infeasible (hollow): " + infeasible),
			h("span", {}, "; " + dots.length + " ranked trials (done or pruned)" +
				(left ? ", " + left + " without both values left out" : "")));
	}

	/* Three objectives or more: parallel coordinates of the front, one axis
	   per goal (better up), each front trial a polyline; the others faint
	   when paretoAll is checked. */
	function drawParetoParallel() {
		const goals = st.pareto.goals, rows = st.pareto.trials;
		const w = Math.max(400, (paretoParallel.clientWidth || 930) - 30), hh = 300;
		const c = makeCanvas(w, hh, "pareto-parallel-canvas"), ctx = c.getContext("2d");
		const scales = goals.map(g => extent(rows.map(t => goalValue(t, g))));
		const top = 40, bottom = hh - 24, n = goals.length;
		const ax = i => 60 + i * (w - 120) / Math.max(1, n - 1);
		const ay = (i, v) => {
			const s = scales[i], q = (v - s.lo) / (s.hi - s.lo);
			return bottom - (goalSense(goals[i]) > 0 ? q : 1 - q) * (bottom - top);
		};
		const line = t => {
			let pen = false;
			goals.forEach((g, i) => {
				const v = goalValue(t, g);
				if (v === null) { pen = false; return; }
				if (pen) ctx.lineTo(ax(i), ay(i, v)); else ctx.moveTo(ax(i), ay(i, v));
				pen = true;
			});
		};
		const others = paretoAll.checked ? rows.filter(t => t.rank !== 0) : [];
		const front = rows.filter(t => t.rank === 0);
		ctx.lineWidth = 1;
		ctx.strokeStyle = "rgba(107,115,131,0.25)";
		ctx.beginPath();
		others.forEach(line);
		ctx.stroke();
		ctx.lineWidth = 1.5;
		front.forEach((t, k) => {
			ctx.strokeStyle = PALETTE[k % PALETTE.length];
			ctx.setLineDash(t.feasible ? [] : [4, 3]);
			ctx.beginPath();
			line(t);
			ctx.stroke();
		});
		ctx.setLineDash([]);
		goals.forEach((g, i) => {
			const e = scales[i], up = goalSense(g) > 0, label = v => fmt(Number(v.toPrecision(3)));
			verticalAxis(ctx, ax(i), top, bottom, goalTitle(g), label(up ? e.hi : e.lo),
				label(up ? e.lo : e.hi));
		});
		Object.assign(c.dataset, {lines: front.length, faint: others.length,
			axes: goals.map(g => g.metric).join("|")});
		paretoParallel.replaceChildren(c, h("div", {class: "small legend"},
			"each trial of the front a line (dashed: infeasible), better up on every axis" +
			(others.length ? "; the " + others.length + " dominated trials faint" : "")));
	}

	/* Asks the ranks again once trials have ended (the page is told of an
	   end before caviard's next write records its rank: while the reply has
	   fewer ranked trials than the page counts, once more at the next
	   redraw, a few times at most). */
	const counted = () => [...st.trials.values()].filter(t => t.status === "done" ||
		t.status === "pruned").length;
	async function loadPareto() {
		if (st.paretoBusy) { /* one at a time: an older reply must not come last */
			st.paretoDirty = true;
			return;
		}
		st.paretoDirty = false;
		st.paretoBusy = true;
		try {
			st.pareto = await getJSON("/api/sweep/" + id + "/pareto");
		} finally {
			st.paretoBusy = false;
		}
		for (const t of st.pareto.trials) t.id = t.trial_id; /* as hoverDots names trials */
		if (st.paretoDirty) { /* asked for again meanwhile */
			st.dirtyAll = true;
			schedule();
		} else if (st.pareto.trials.length < counted() && st.paretoTries++ < 20) {
			st.paretoDirty = st.dirtyAll = true; /* redraw(all) asks */
			schedule();
		} else if (st.pareto.trials.length >= counted()) {
			st.paretoTries = 0;
		}
		drawPareto();
	}
	function drawPareto() {
		if (!st.pareto || !st.pareto.goals.length) return;
		drawParetoScatter();
		if (paretoParallel) drawParetoParallel();
		document.body.dataset.pareto = st.pareto.trials.length;
	}

	/* The header: made again only when the sweep's status changes (its
	   buttons with it: one replaced under the mouse at each redraw would
	   lose its click); its counts and best follow each redraw in place. */
	let headerStatus = null;
	function drawHeader() {
		const s = st.sweep, active = s.status === "running" || s.status === "paused";
		const counts = {};
		for (const t of st.trials.values())
			counts[t.status] = (counts[t.status] || 0) + 1;
		const trials = Object.entries(counts).map(([k, v]) => v + " " + k).join(", ") +
			" of " + s.budget;
		const best = ranked()[0];
		const bestText = best ? fmt(best.objective) + " (trial " + best.id + ")" : "-";
		if (headerStatus === s.status) {
			const t = document.getElementById("sweep-trials"), b = document.getElementById("sweep-best");
			if (t.textContent !== trials) t.textContent = trials;
			if (b.textContent !== bestText)
				b.replaceChildren(best ? h("a", {href: "#/trial/" + best.id}, bestText) : "-");
			return;
		}
		headerStatus = s.status;
		header.replaceChildren(
			h("h1", {}, "Sweep " + s.id + " \u201c" + s.name + "\u201d ",
				h("span", {id: "status", class: "status " + s.status}, s.status)),
			h("div", {class: "row card"},
				st.goals.length ? kv("goals", st.goals.map(g => goalTitle(g)).join(", ")) :
					kv("objective", s.metric + " (" + s.mode + ")"),
				kv("search", s.search),
				kv("trials", h("span", {id: "sweep-trials"}, trials)),
				kv("best", h("span", {id: "sweep-best"}, best ? h("a", {href: "#/trial/" +
					best.id}, bestText) : "-")),
				kv("created", fmtTime(s.created_at)),
				active && s.status === "running" ? actionButton("Pause", "", () =>
					post("/api/sweep/" + id + "/pause"), msg) : null,
				active && s.status === "paused" ? actionButton("Resume", "", () =>
					post("/api/sweep/" + id + "/resume"), msg) : null,
				active ? actionButton("Cancel", "danger", () =>
					post("/api/sweep/" + id + "/cancel"), msg) : null,
				msg));
	}

	function redraw(all) {
		st.timer = null;
		st.dirtyAll = false;
		drawHeader();
		drawCurves();
		mark("curves");
		drawBoard(); /* its rows follow every event, as the curves do */
		mark("leaderboard");
		if (all) {
			drawHistory();
			mark("history");
			if (st.paretoDirty)
				loadPareto().catch(e => { msg.textContent = e.message; });
			if (!st.lower) drawLower();
		}
	}
	/* The panels below the first screen (slice, contour, parallel
	   coordinates). At the first load they are drawn in a task of their own
	   once the page is interactive (body's data-drawn says when), so that
	   drawing them does not delay it; after that, with every redraw. */
	function drawLower() {
		drawSlice();
		mark("slice");
		drawContour();
		mark("contour");
		drawParallel();
		mark("parallel");
	}
	/* How long each step of the first load took (ms since navigation), for
	   bench/dashboard. */
	const marks = {};
	function mark(what) {
		if (!document.body.dataset.drawn) marks[what] = Math.round(performance.now());
	}
	function schedule() {
		if (!st.timer) st.timer = setTimeout(() => redraw(st.dirtyAll), REDRAW_MS);
	}

	async function load() {
		/* Both at once: the points are the objective's unless another metric
		   was chosen. */
		const pointsFetched = fetchPoints(st.metric);
		const r = await getJSON("/api/sweep/" + id);
		mark("sweep");
		st.sweep = r.sweep;
		st.params = r.params || [];
		st.goals = r.goals || [];
		st.max = r.sweep.mode === "max";
		st.metric = st.metric || r.sweep.metric;
		for (const t of r.trials) addTrial(t);
		setPoints(await pointsFetched);
		mark("points");
		const metrics = r.metrics.includes(st.metric) ? r.metrics :
			[st.metric, ...r.metrics];
		const select = h("select", {id: "metric", onchange: async e => {
			st.metric = e.target.value;
			setPoints(await fetchPoints(st.metric));
			drawCurves();
		}}, metrics.map(m => h("option", {value: m, selected: m === st.metric}, m)));
		header = h("div");
		const wide = Math.max(500, main.clientWidth - 72);
		curves = makeCanvas(wide, 380, "curves");
		tip = h("div", {class: "tip"});
		board = h("div", {id: "board"});
		history = makeCanvas(wide, 300, "history");
		historyX = h("select", {id: "history-x", onchange: drawHistory},
			h("option", {value: "number"}, "against trial no."),
			h("option", {value: "time"}, "against wall time"));
		contour = makeCanvas(Math.min(wide, 640), 440, "contour");
		contourX = h("select", {id: "contour-x", onchange: drawContour});
		contourY = h("select", {id: "contour-y", onchange: drawContour});
		slice = h("div", {class: "grid", id: "slice"});
		note = noteEditor("sweep", id, r.sweep.note);
		parallel = h("div", {class: "card", id: "parallel"});
		importance = h("div", {class: "card", id: "importance"}, "computing...");
		/* several objectives: which one's variance, as --objective chooses */
		const objectives = st.goals.filter(g => g.kind === "objective").map(g => g.metric);
		importanceOf = objectives.length > 1 ? h("select", {id: "importance-objective",
			"aria-label": "the objective analysed"}) : null;
		if (importanceOf) {
			fillSelect(importanceOf, objectives, 0);
			importanceOf.addEventListener("change", () => loadImportance());
		}
		lineage = h("div", {id: "best-lineage"});
		const roundRows = r.rounds.map(x => h("tr", {}, h("td", {}, x.round),
			h("td", {}, JSON.stringify(x.ranges))));
		rounds = r.rounds.length > 1 || st.sweep.search === "coarse_to_fine" ?
			h("div", {}, h("h2", {}, "Rounds (coarse to fine)"),
				h("table", {id: "rounds"},
					h("thead", {}, h("tr", {}, h("th", {}, "round"),
						h("th", {}, "ranges"))),
					h("tbody", {}, roundRows))) : null;
		const historyTip = h("div", {class: "tip"}), contourTip = h("div", {class: "tip"});
		/* narrower than wide: a scrollbar may come once the page is drawn */
		const paretoPanel = r.goals.length ? paretoPanelOf(r.goals,
			Math.max(320, main.clientWidth - 90)) : "";
		main.replaceChildren(header, note.el,
			h("h2", {}, "Learning curves ", select),
			h("div", {class: "card chart"}, curves, tip,
				h("div", {class: "small legend"}, h("span", {id: "curves-count"}),
					h("span", {id: "curves-legend"}))),
			h("h2", {}, "Optimization history ", historyX),
			h("div", {class: "card chart"}, history, historyTip,
				h("div", {class: "small legend", id: "history-legend"})),
			paretoPanel,
			h("h2", {}, "Leaderboard"),
			h("div", {class: "row card", id: "board-filter"}, "show", filter.status,
				"with", filter.param, "from", filter.lo, "to", filter.hi, filter.count),
			board,
			h("h2", {}, "Slice: the objective against each parameter (each on its own scale)"),
			slice,
			h("div", {class: "small"}, "each counted trial, coloured by rank (best green); " +
				"pruned ones smaller"),
			h("h2", {}, "Contour: ", contourX, " across, ", contourY, " up"),
			h("div", {class: "card chart", id: "contour-card"}, contour, contourTip,
				h("div", {class: "small legend", id: "contour-legend"})),
			h("h2", {}, "Parallel coordinates"), parallel,
			h("h2", {}, "Importance (fANOVA, as caviar importance)",
				importanceOf ? [" of ", importanceOf] : ""), importance,
			rounds || "", lineage);
		curves.addEventListener("mousemove", e => {
			const b = curves.getBoundingClientRect(), hit = nearest(e.clientX - b.left,
				e.clientY - b.top);
			tip.style.display = hit ? "block" : "none";
			if (!hit) return;
			const [t, i] = hit;
			tip.textContent = "trial " + t.id + " (no. " + t.number + ", " + t.status +
				") epoch " + t.xs[i] + ": " + fmt(t.ys[i]);
			tip.style.left = (e.clientX - b.left + 14) + "px";
			tip.style.top = (e.clientY - b.top + 8) + "px";
		});
		curves.addEventListener("mouseleave", () => { tip.style.display = "none"; });
		hoverDots(history, historyTip);
		hoverDots(contour, contourTip);
		curves.addEventListener("click", e => {
			const b = curves.getBoundingClientRect(), hit = nearest(e.clientX - b.left,
				e.clientY - b.top);
			if (hit) location.hash = "#/trial/" + hit[0].id;
		});
		st.lower = setTimeout(() => {
			drawLower();
			st.lower = null;
			document.body.dataset.timings = JSON.stringify(marks);
			document.body.dataset.drawn = Math.round(performance.now());
		}, 0);
		redraw(true);
		if (r.goals.length) loadPareto().catch(e => { msg.textContent = e.message; });
		document.body.dataset.timings = JSON.stringify(marks);
		document.body.dataset.ready = Math.round(performance.now());
		loadImportance();
		loadLineage().catch(e => { lineage.textContent = e.message; });
	}

	/* The Pareto panel's elements: the scatter of two goals chosen, and
	   parallel coordinates for three objectives or more. */
	function paretoPanelOf(goals, wide) {
		const tipEl = h("div", {class: "tip"});
		paretoCanvas = makeCanvas(Math.min(wide, 760), 420, "pareto");
		paretoX = h("select", {id: "pareto-x", "aria-label": "the goal across",
			onchange: drawParetoScatter});
		paretoY = h("select", {id: "pareto-y", "aria-label": "the goal up",
			onchange: drawParetoScatter});
		hoverDots(paretoCanvas, tipEl, paretoText);
		paretoCanvas.setAttribute("role", "img");
		paretoCanvas.setAttribute("aria-label", "each ranked trial at its values of the two " +
			"goals chosen, the Pareto front joined by a step line");
		const objectives = goals.filter(g => g.kind === "objective").length;
		const out = [h("h2", {}, "Pareto front: ", paretoX, " across, ", paretoY, " up"),
			h("div", {class: "card chart", id: "pareto-card"}, paretoCanvas, tipEl,
				h("div", {class: "small legend", id: "pareto-legend"}))];
		if (objectives >= 3) {
			paretoAll = h("input", {type: "checkbox", id: "pareto-all",
				onchange: drawParetoParallel});
			paretoParallel = h("div", {id: "pareto-parallel"});
			out.push(h("h2", {}, "The front on every goal ",
				h("label", {class: "small"}, paretoAll, " dominated trials too")),
			h("div", {class: "card"}, paretoParallel));
		}
		return h("section", {id: "pareto-panel"}, out);
	}

	/* A pbt sweep's best trial so far: its lineage, its schedule of
	   hyperparameters (asked once the page is drawn, and when the sweep ends). */
	async function loadLineage() {
		const best = ranked()[0];
		if (st.sweep.search !== "pbt" || !best) return;
		const l = await getJSON("/api/trial/" + best.id + "/lineage");
		lineage.replaceChildren(h("h2", {}, "Lineage of the best trial, ",
			h("a", {href: "#/trial/" + best.id}, "trial " + best.id),
			" (" + fmt(best.objective) + ")"), lineageView(l, main.clientWidth - 40));
		lineage.dataset.trial = best.id;
	}

	/* Each parameter's share of the objective's variance, as bars (a failure
	   said in the card); asked once the page is drawn, again when the sweep
	   ends, and when another objective is chosen. */
	function loadImportance() {
		fetchImportance().catch(e => { importance.textContent = e.message; });
	}
	async function fetchImportance() {
		const r = await getJSON("/api/sweep/" + id + "/importance" + (importanceOf ?
			"?metric=" + encodeURIComponent(importanceOf.value) : ""));
		importance.dataset.objective = r.metric || "";
		if (!r.params.length) {
			importance.replaceChildren(h("span", {class: "small"}, r.note));
			return;
		}
		const rows = r.params.slice().sort((a, b) => b.share - a.share).map(p =>
			h("tr", {}, h("th", {}, p.name), h("td", {class: "small"}, p.scale),
				h("td", {}, h("span", {class: "bar wide"}, h("i", {style: "width:" +
					Math.round(100 * p.share) + "%"}))),
				h("td", {class: "num"}, fmt(p.share) + " \u00b1 " + fmt(p.std))));
		importance.replaceChildren(
			h("table", {id: "importance-table"}, h("tbody", {}, rows)),
			h("div", {class: "small"}, r.forks_left_out ? "computed over " + r.trials +
				" independent trials; " + r.forks_left_out + " forks left out" :
				"from " + r.trials + " finished trials"));
	}

	load().catch(e => main.replaceChildren(h("div", {class: "msg"}, e.message)));
	return {
		onEvent(ev) {
			if (!st.sweep || ev.sweep !== id) return;
			if (ev.event.startsWith("sweep_")) {
				st.sweep.status = ev.status;
				st.dirtyAll = true;
				if (ev.event === "sweep_ended") {
					st.paretoDirty = st.goals.length > 0;
					loadImportance();
					loadLineage().catch(e => { lineage.textContent = e.message; });
				}
			} else if (ev.event === "trial_started") {
				addTrial({id: ev.trial, number: ev.number, params: ev.params,
					status: "running", epochs: 0});
				st.dirtyAll = true;
			} else if (ev.event === "progress") {
				const t = addTrial({id: ev.trial, number: ev.number, status: "running"});
				trackProgress(t, ev);
				const v = ev.metrics ? ev.metrics[st.metric] : undefined;
				const last = t.xs.length - 1;
				if (typeof v === "number" && last >= 0 && t.xs[last] === ev.epoch) {
					t.ys[last] = v; /* a later step of the same epoch */
				} else if (typeof v === "number") {
					t.xs.push(ev.epoch);
					t.ys.push(v);
				}
			} else if (ev.event === "trial_ended") {
				const t = addTrial({id: ev.trial, number: ev.number,
					status: ev.status, epochs: ev.epochs, ended_at: ev.ended_at});
				t.best_value = ev.best;
				t.objective = (ev.status === "done" || ev.status === "pruned") &&
					typeof ev.best === "number" ? ev.best : null;
				st.dirtyAll = true;
				st.paretoDirty = st.paretoDirty || (st.goals.length > 0 &&
					(ev.status === "done" || ev.status === "pruned")); /* ranked */
			} else if (ev.event === "note") {
				if (ev.trial === null) note.set(ev.text);
				return;
			} else {
				return;
			}
			schedule();
		},
		destroy() {
			clearTimeout(st.timer);
			clearTimeout(st.lower);
		},
	};
}

/* ---- a trial's lineage ---- */

/* The lineage l (GET /api/trial/ID/lineage) as elements: the chain of
   ancestors (links), each parameter's value against epoch (one segment per
   member of the chain and change, in the member's colour; log axes for log
   parameters) and the objective along the chain. */
function lineageView(l, width) {
	const colour = new Map(l.chain.map((m, i) => [m.trial_id, PALETTE[i % PALETTE.length]]));
	const xmax = Math.max(1, ...l.chain.map(m => m.to_epoch));
	const chain = h("div", {class: "row card", id: "lineage-chain"},
		l.chain.map((m, i) => h("span", {class: "member"}, i ? "\u2192 " : "",
			h("i", {style: "background:" + colour.get(m.trial_id)}),
			h("a", {href: "#/trial/" + m.trial_id}, "trial " + m.trial_id),
			" (no. " + m.number + ")" + (m.to_epoch > m.from_epoch + 1 ? ", epochs " +
				(m.from_epoch + 1) + "\u2013" + m.to_epoch : ", epoch " + m.to_epoch) +
			" ", statusSpan(m.status))));
	const w = Math.max(300, Math.min(460, width));
	let segments = 0;
	const plots = l.params.filter(p => p.segments.length).map(p => {
		/* its scale as GET /api/trial/ID/lineage names it ("fixed" for one
		   it does not sample) */
		const sc = paramScale({kind: p.scale}, p.segments.map(g => g.value));
		const c = makeCanvas(w, 170, "lineage-" + p.name);
		const ctx = c.getContext("2d");
		const {X, Y} = axes(ctx, w, 170, {lo: 0, hi: xmax, whole: true}, sc, "epoch",
			paramTitle(p.name, sc));
		ctx.lineWidth = 2.5;
		let prev = null;
		for (const g of p.segments) {
			const y = Y(sc.f(g.value)), x0 = X(g.from_epoch), x1 = X(g.to_epoch);
			if (prev) { /* the change, thin and grey */
				ctx.strokeStyle = "#9aa2b1";
				ctx.lineWidth = 1;
				ctx.beginPath(); ctx.moveTo(x0, prev); ctx.lineTo(x0, y); ctx.stroke();
				ctx.lineWidth = 2.5;
			}
			ctx.strokeStyle = ctx.fillStyle = colour.get(g.trial_id) || "#394152";
			ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(x1, y); ctx.stroke();
			ctx.beginPath(); /* where it starts: one set at the last epoch has none yet */
			ctx.arc(x0, y, 3, 0, 2 * Math.PI);
			ctx.fill();
			prev = y;
		}
		segments += p.segments.length;
		c.dataset.segments = p.segments.length;
		return h("div", {class: "card"}, c);
	});
	const cw = Math.max(300, Math.min(940, width));
	const curve = makeCanvas(cw, 200, "lineage-curve");
	const cc = curve.getContext("2d");
	const {X, Y} = axes(cc, cw, 200, {lo: 0, hi: xmax, whole: true},
		extent(l.curve.map(q => q.value)), "epoch", l.metric + " (" + l.mode + ")");
	let last = null; /* each member's line goes on from its parent's last point */
	for (const m of l.chain) {
		const pts = l.curve.filter(q => q.from_trial_id === m.trial_id);
		cc.strokeStyle = cc.fillStyle = colour.get(m.trial_id);
		cc.lineWidth = 2;
		cc.beginPath();
		(last ? [last, ...pts] : pts).forEach((q, i) => i ?
			cc.lineTo(X(q.epoch), Y(q.value)) : cc.moveTo(X(q.epoch), Y(q.value)));
		cc.stroke();
		for (const q of pts) cc.fillRect(X(q.epoch) - 2, Y(q.value) - 2, 4, 4);
		if (pts.length) last = pts[pts.length - 1];
	}
	curve.dataset.points = l.curve.length;
	const box = h("div", {}, chain, h("div", {class: "row plots"}, plots),
		h("div", {class: "card"}, curve));
	box.dataset.members = l.chain.length;
	box.dataset.segments = segments;
	return box;
}

/* ---- one trial ---- */

function lastPerEpoch(points, metric) {
	const m = new Map();
	for (const p of points) if (p.metric === metric) m.set(p.epoch, p.value);
	const xs = [...m.keys()].sort((a, b) => a - b);
	return [xs, xs.map(x => m.get(x))];
}

/* The curves of metrics on one axis of epochs: [epochs, values of each
   (null where one has no point)], as uPlot takes them. */
function curvesPerEpoch(points, metrics) {
	const each = metrics.map(m => lastPerEpoch(points, m));
	const xs = [...new Set(each.flatMap(c => c[0]))].sort((a, b) => a - b);
	return [xs, ...each.map(([ex, ey]) => {
		const m = new Map(ex.map((x, i) => [x, ey[i]]));
		return xs.map(x => m.has(x) ? m.get(x) : null);
	})];
}

/* A trial's metrics by chart: those that differ only by a train_, val_ or
   test_ prefix share one (train_loss and val_loss: "loss"), the others get
   one each; the chart of the objective first. Returns [[name, metrics]]. */
function chartGroups(metrics, objective) {
	const groups = new Map();
	for (const m of [...metrics].sort()) {
		const k = m.replace(/^(train|val|valid|test)_/, "");
		groups.set(k, (groups.get(k) || []).concat(m));
	}
	return [...groups].map(([k, ms]) => [ms.length > 1 ? k : ms[0], ms])
		.sort((a, b) => b[1].includes(objective) - a[1].includes(objective) ||
			(a[0] < b[0] ? -1 : 1));
}

/* A chart of the series labels (data as curvesPerEpoch gives), its axes
   titled: epoch, and ylabel. */
function linePlot(el, title, data, labels, ylabel) {
	const w = Math.max(240, (el.clientWidth || 320) - 28);
	return new uPlot({title, width: w, height: 220, scales: {x: {time: false}},
		axes: [{incrs: EPOCH_STEPS, label: "epoch", labelSize: 18, size: 36},
			{label: ylabel, labelSize: 18}],
		legend: {show: labels.length > 1},
		series: [{label: "epoch"}, ...labels.map((l, i) => ({label: l,
			stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: true,
			points: {size: 4}}))]}, data, el);
}

/* A value typed in a form as the CLI reads NAME=VALUE: a number when it reads
   as one, true and false as booleans, anything else a string. */
function typedValue(text) {
	const x = Number(text);
	if (text.trim() !== "" && Number.isFinite(x)) return x;
	if (text === "true" || text === "false") return text === "true";
	return text;
}

/* "lr 0.02 -> 0.01, batch 128 -> 64" from {"lr": [0.02, 0.01], ...}. */
function changesText(changes) {
	return Object.entries(changes || {}).map(([k, [a, b]]) => k + " " + fmt(a) + " \u2192 " +
		fmt(b)).join(", ");
}

function trialPage(main, id) {
	const msg = h("div", {class: "msg"});
	let trial = null, points = [], plots = new Map(), timer = null, steering = null, note = null;
	let lineageShown = false, lineageTimer = null, lineageEpoch = 0;

	/* One chart per group of metrics (chartGroups: train_loss and val_loss
	   on one); a group that gained a metric is drawn again. */
	function drawPlots(box) {
		const groups = chartGroups(new Set(points.map(p => p.metric)), trial.metric);
		for (const [name, metrics] of groups) {
			const data = curvesPerEpoch(points, metrics), key = metrics.join(",");
			let p = plots.get(name);
			if (p && p.key !== key) {
				p.chart.destroy();
				p.cell.replaceChildren();
			}
			if (p && p.key === key) {
				p.chart.setData(data);
			} else {
				const cell = p ? p.cell : h("div", {class: "card"});
				if (!p) box.append(cell);
				cell.dataset.metrics = key;
				p = {key, cell, chart: linePlot(cell, name, data, metrics, name)};
				/* The axes' titles, drawn on its canvas, as uPlot holds them. */
				cell.dataset.axes = p.chart.axes.map(x => x.label).join(",");
				plots.set(name, p);
			}
			p.cell.dataset.epochs = data[0].length ? data[0][data[0].length - 1] : 0;
		}
	}

	/* The header's values that change as it trains (from its row, then from
	   each event), and the fork form's default epoch while it follows them. */
	function drawSummary() {
		const t = trial, set = (id, v) => {
			const el = document.getElementById(id);
			if (el && el.textContent !== String(v)) el.textContent = v;
		};
		set("trial-best", fmt(t.objective ?? t.best_value));
		set("trial-best-epoch", fmt(t.best_epoch));
		set("trial-epochs", t.epochs);
		set("trial-reason", t.reason || "-");
		const st = document.getElementById("status");
		if (st && st.textContent !== t.status) {
			st.textContent = t.status;
			st.className = "status " + t.status;
		}
		const epoch = document.getElementById("fork-epoch");
		if (epoch && t.status === "running" && epoch.value === epoch.dataset.auto)
			epoch.value = epoch.dataset.auto = Math.max(1, t.epochs);
	}

	function adjustmentsTable(rows) {
		const td = v => h("td", {}, v);
		return rows.length ? h("table", {id: "adjustments"},
			h("thead", {}, h("tr", {}, ["epoch", "step", "name", "old", "new", "source",
				"when"].map(x => h("th", {}, x)))),
			h("tbody", {}, rows.map(a => h("tr", {}, td(a.epoch), td(a.step), td(a.name),
				td(fmt(a.old_value)), td(fmt(a.new_value)), td(a.source),
				td(fmtTime(a.created_at)))))) : h("div", {class: "small"}, "none");
	}

	/* The form that adjusts a running trial (the daemon's adjust, as `caviar
	   adjust` sends it) and the one that forks a trial from an epoch's
	   checkpoint (`caviar fork`); each shows the daemon's answer. */
	function steerForms(t, adjustments) {
		const current = name => {
			const last = adjustments.filter(a => a.name === name).pop();
			return last ? last.new_value : (t.params || {})[name];
		};
		const names = Object.keys(t.params || {});
		const answer = h("span", {id: "adjust-answer", class: "small"});
		const value = h("input", {id: "adjust-value", size: 10,
			value: names.length ? String(current(names[0])) : ""});
		const name = h("select", {id: "adjust-name", onchange: e => {
			value.value = String(current(e.target.value));
		}}, names.map(n => h("option", {value: n}, n)));
		const adjust = actionButton("Adjust", "", async () => {
			answer.textContent = "";
			const r = await post("/api/trial/" + id + "/adjust",
				{set: {[name.value]: typedValue(value.value)}});
			/* The table and the lineage follow from the adjusted event. */
			answer.textContent = "applied after epoch " + r.epoch + ", step " + r.step +
				": " + changesText(r.changes);
		}, answer);
		/* By default its latest epoch while it trains, then its best (the
		   checkpoints kept by default; a fork needs an epoch left to train). */
		const epoch = h("input", {type: "number", id: "fork-epoch", min: 1,
			value: Math.max(1, t.status === "running" ? t.epochs :
				t.best_epoch || t.epochs)});
		epoch.dataset.auto = epoch.value; /* followed until the user types one */
		const forkAnswer = h("span", {id: "fork-answer", class: "small"});
		const fork = actionButton("Fork", "", async () => {
			forkAnswer.textContent = "";
			const r = await post("/api/trial/" + id + "/fork", {epoch: Number(epoch.value)});
			forkAnswer.replaceChildren("started ", h("a", {href: "#/trial/" + r.trial},
				"trial " + r.trial), " from epoch " + r.epoch);
		}, forkAnswer);
		return h("div", {class: "card", id: "steer"},
			t.status === "running" && names.length ? h("div", {class: "row"},
				h("b", {}, "adjust"), name, "=", value, adjust, answer) : null,
			t.epochs > 0 ? h("div", {class: "row"}, h("b", {}, "fork"),
				"from the checkpoint of epoch", epoch, fork, forkAnswer) : null);
	}

	/* The adjustments and the lineage, read again (after an adjustment). */
	async function refresh() {
		const r = await getJSON("/api/trial/" + id);
		document.getElementById("adjustments-box")
			.replaceChildren(adjustmentsTable(r.adjustments));
		await drawLineage(r);
	}

	/* The lineage, when the trial (r, its GET /api/trial/ID) has ancestors or
	   adjustments; without r, once more (it is shown). */
	async function drawLineage(r) {
		const box = document.getElementById("lineage");
		if (r && !r.trial.parent_trial_id && !r.adjustments.length) return;
		const l = await getJSON("/api/trial/" + id + "/lineage");
		lineageShown = true;
		box.replaceChildren(h("h2", {}, "Lineage (its ancestors, and each " +
			"hyperparameter against epoch)"), lineageView(l, main.clientWidth - 40));
		box.dataset.members = l.chain.length;
	}

	async function load() {
		const r = await getJSON("/api/trial/" + id);
		trial = r.trial;
		points = r.points;
		const t = trial, active = t.status === "running" || t.status === "queued";
		const box = h("div", {class: "grid", id: "trial-curves"});
		const params = Object.entries(t.params || {});
		const trialLink = (tid, text) => h("a", {href: "#/trial/" + tid}, text);
		const log = r.log.slice(-500).map(l => l.line).join("\n");
		steering = t.status === "running" || t.epochs > 0 ? steerForms(t, r.adjustments) : null;
		/* read again (the trial ended): a note being typed stays */
		if (!note || !note.typing()) note = noteEditor("trial", id, t.note);
		main.replaceChildren(
			h("h1", {}, "Trial " + t.id + " (no. " + t.number + " of ",
				h("a", {href: "#/sweep/" + t.sweep_id}, "sweep " + t.sweep_id +
					" \u201c" + t.sweep + "\u201d"), ") ",
				h("span", {id: "status", class: "status " + t.status}, t.status)),
			h("div", {class: "row card"},
				kv(t.metric, h("span", {id: "trial-best"})),
				kv("best epoch", h("span", {id: "trial-best-epoch"})),
				kv("epochs", h("span", {id: "trial-epochs"})),
				kv("reason", h("span", {id: "trial-reason"})),
				kv("attempts", t.attempts), kv("started", fmtTime(t.started_at)),
				kv("ended", fmtTime(t.ended_at)),
				t.parent_trial_id ? kv("forked from", trialLink(t.parent_trial_id,
					"trial " + t.parent_trial_id + " at epoch " +
					t.parent_epoch)) : null,
				r.children.length ? kv("forks",
					r.children.map(c => trialLink(c.id, "trial " + c.id + " "))) : null,
				active ? actionButton("Cancel", "danger", () =>
					post("/api/trial/" + id + "/cancel"), msg) : null, msg),
			note.el,
			steering || "",
			h("h2", {}, "Parameters"),
			h("table", {id: "params"}, h("tbody", {}, params.map(([k, v]) =>
				h("tr", {}, h("th", {}, k), h("td", {}, fmt(v)))))),
			h("h2", {}, "Curves"), box,
			h("h2", {}, "Adjustments"),
			h("div", {id: "adjustments-box"}, adjustmentsTable(r.adjustments)),
			h("div", {id: "lineage"}),
			h("h2", {}, "Log"),
			h("pre", {id: "log"}, log || "(no lines besides metrics)"),
			h("h2", {}, "stderr (the last lines)"),
			h("pre", {id: "stderr"}, t.stderr_tail || "(empty)"));
		plots.forEach(p => p.chart.destroy()); /* a load again: the old page's charts */
		plots = new Map();
		drawSummary();
		drawPlots(box);
		await drawLineage(r);
		document.body.dataset.ready = "1";
	}

	load().catch(e => main.replaceChildren(h("div", {class: "msg"}, e.message)));
	return {
		onEvent(ev) {
			if (!trial || ev.trial !== id) return;
			if (ev.event === "note") {
				note.set(ev.text);
				trial.note = ev.text;
			} else if (ev.event === "progress") {
				for (const [m, v] of Object.entries(ev.metrics || {}))
					points.push({metric: m, epoch: ev.epoch, step: ev.step,
						value: v});
				trial.status = "running";
				trackProgress(trial, ev);
				if (!timer) timer = setTimeout(() => {
					timer = null;
					drawSummary();
					drawPlots(document.getElementById("trial-curves"));
				}, REDRAW_MS);
				/* The lineage's epochs grow too: read again at most once a
				   second, when an epoch ended. */
				if (lineageShown && ev.epoch !== lineageEpoch && !lineageTimer)
					lineageTimer = setTimeout(() => {
						lineageTimer = null;
						drawLineage(null).catch(e => {
							msg.textContent = e.message;
						});
					}, LINEAGE_MS);
				lineageEpoch = ev.epoch;
			} else if (ev.event === "adjusted") {
				refresh().catch(e => { msg.textContent = e.message; });
			} else if (ev.event === "trial_ended") {
				/* Shown from the event at once; the page is read again for
				   the rest (its timings, log, stderr and forms). */
				Object.assign(trial, {status: ev.status, reason: ev.reason,
					epochs: ev.epochs});
				if (typeof ev.best === "number") trial.best_value = ev.best;
				drawSummary();
				setTimeout(() => load().catch(() => {}), 200);
			}
		},
		destroy() {
			clearTimeout(timer);
			clearTimeout(lineageTimer);
			plots.forEach(p => p.chart.destroy());
		},
	};
}

/* ---- comparing sweeps ---- */

function comparePage(main, ids) {
	main.append(h("h1", {}, "Comparing sweeps " + ids.join(", ")));
	(async () => {
		const rows = [], curves = [];
		for (const id of ids) {
			const r = await getJSON("/api/sweep/" + id);
			const max = r.sweep.mode === "max";
			/* Its best counted trial; while none has ended, the best running one. */
			const value = t => t.objective ?? t.best_value;
			let done = r.trials.filter(t => t.objective !== null);
			if (!done.length) done = r.trials.filter(t => typeof value(t) === "number");
			done.sort((a, b) => max ? value(b) - value(a) : value(a) - value(b));
			const best = done[0];
			rows.push({s: r.sweep, best, n: r.trials.length});
			if (best) {
				const tr = await getJSON("/api/trial/" + best.id);
				curves.push({label: "sweep " + id + ": trial " + best.id,
					data: lastPerEpoch(tr.points, r.sweep.metric)});
			}
		}
		const xs = [...new Set(curves.flatMap(c => c.data[0]))].sort((a, b) => a - b);
		const data = [xs, ...curves.map(c => {
			const m = new Map(c.data[0].map((x, i) => [x, c.data[1][i]]));
			return xs.map(x => m.has(x) ? m.get(x) : null);
		})];
		const box = h("div", {class: "card", id: "compare-chart"});
		const td = (v, cls) => h("td", cls ? {class: cls} : {}, v);
		const body = rows.map(r => h("tr", {},
			td(h("a", {href: "#/sweep/" + r.s.id}, r.s.id)), td(r.s.name),
			td(r.s.search),
			td(r.s.metric + " (" + r.s.mode + ")"),
			td(fmt(r.best ? r.best.objective ?? r.best.best_value : null), "num"),
			td(r.best ? h("a", {href: "#/trial/" + r.best.id}, r.best.id) : "-"),
			td(r.n, "num")));
		main.append(h("table", {id: "compare-table"}, h("thead", {}, h("tr", {},
			["sweep", "name", "search", "objective", "best", "best trial", "trials"]
				.map(x => h("th", {}, x)))), h("tbody", {}, body)),
		h("h2", {}, "Best trial's curve of each sweep"), box);
		if (curves.length) {
			const w = Math.max(500, main.clientWidth - 72);
			new uPlot({width: w, height: 320, scales: {x: {time: false}},
				axes: [{incrs: EPOCH_STEPS, label: "epoch"}, {label: rows[0].s.metric}],
				series: [{label: "epoch"}, ...curves.map((c, i) => ({label: c.label,
					stroke: PALETTE[i % PALETTE.length], width: 2,
					spanGaps: true}))]},
			data, box);
		}
		document.body.dataset.ready = "1";
	})().catch(e => main.append(h("div", {class: "msg"}, e.message)));
	return {};
}

/* ---- routing ---- */

function route() {
	const main = document.getElementById("main");
	if (page && page.destroy) page.destroy();
	delete document.body.dataset.ready;
	delete document.body.dataset.drawn;
	main.replaceChildren();
	const parts = location.hash.replace(/^#\/?/, "").split("/");
	const num = s => /^[1-9][0-9]{0,14}$/.test(s || "") ? Number(s) : null;
	if (parts[0] === "sweep" && num(parts[1])) page = sweepPage(main, num(parts[1]));
	else if (parts[0] === "trial" && num(parts[1])) page = trialPage(main, num(parts[1]));
	else if (parts[0] === "compare" && parts[1]) {
		page = comparePage(main, parts[1].split(",").map(num).filter(Boolean));
	} else page = sweepsPage(main);
}

window.addEventListener("hashchange", route);
route();
