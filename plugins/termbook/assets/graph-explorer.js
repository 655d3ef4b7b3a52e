/*
 * termbook graph explorer: pan, zoom, filter by tag, neighbourhoods and a find box for the
 * whole-glossary pictures (svg.termbook-graph--wide whose nodes carry data-slug and data-tags).
 *
 * Plain ES2020, no libraries, nothing fetched. Loaded as an external script on every page (the
 * Content-Security-Policy allows no inline script or handler); it does nothing on a page without
 * such a picture. Without JavaScript the page keeps the static picture: the controls are built here.
 */
(() => {
  "use strict";

  const MIN_ZOOM = 0.5; // relative to the scale that fits the whole picture
  const MAX_SCALE = 4; // screen pixels per SVG unit
  const READABLE = 0.7; // the first view is at least this scale (labels of about 9 px), centred
  const STEP = 1.25; // one press of + or −
  const PAN = 0.1; // one arrow key press: this share of the view
  const UNTAGGED = "";

  function element(tag, attrs = {}, text = "") {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
    if (text) el.textContent = text;
    return el;
  }

  function parseTags(value) {
    try {
      const tags = JSON.parse(value || "[]");
      return Array.isArray(tags) ? tags.filter((t) => typeof t === "string") : [];
    } catch (_) {
      return [];
    }
  }

  function explore(svg, index) {
    const view = svg.parentElement;
    if (!view || !view.classList.contains("termbook-graph-wide")) return;
    const base = svg.viewBox.baseVal;
    const full = { x: base.x, y: base.y, w: base.width, h: base.height };
    if (!(full.w > 0 && full.h > 0)) return;

    // -- the graph: nodes by slug, edges, neighbours --------------------------------------------
    const nodes = new Map();
    for (const el of svg.querySelectorAll("a.tb-node[data-slug]")) {
      const rect = el.querySelector("rect");
      const text = el.querySelector("text");
      const x = rect ? Number(rect.getAttribute("x")) + Number(rect.getAttribute("width")) / 2 : 0;
      const y = rect ? Number(rect.getAttribute("y")) + Number(rect.getAttribute("height")) / 2 : 0;
      const label = text ? text.textContent : el.dataset.slug;
      nodes.set(el.dataset.slug, { el, slug: el.dataset.slug, tags: parseTags(el.dataset.tags), label, key: label.toLowerCase(), x, y, near: new Set(), edges: [] });
    }
    const edges = [];
    for (const el of svg.querySelectorAll("line.tb-edge[data-a][data-b]")) {
      const a = nodes.get(el.dataset.a);
      const b = nodes.get(el.dataset.b);
      if (!a || !b) continue;
      const edge = { el, a, b };
      edges.push(edge);
      a.near.add(b);
      b.near.add(a);
      a.edges.push(edge);
      b.edges.push(edge);
    }
    const byElement = new Map([...nodes.values()].map((n) => [n.el, n]));

    // -- the controls, built here so that the page without script shows the plain picture -------
    const root = element("div", { class: "tb-explorer" });
    view.before(root);
    const bar = element("div", { class: "tb-explorer__bar" });
    const findId = `tb-find-${index}`;
    const find = element("input", { type: "search", id: findId, class: "tb-explorer__find", autocomplete: "off", spellcheck: "false", placeholder: "e.g. dropout" });
    const findLabel = element("label", { for: findId }, "Find a term");
    const status = element("output", { class: "tb-explorer__status", "aria-live": "polite", for: findId });
    const zoom = element("div", { class: "tb-explorer__zoom", role: "group", "aria-label": "Zoom" });
    const zoomIn = element("button", { type: "button", "aria-label": "Zoom in", title: "Zoom in (+)" }, "+");
    const zoomOut = element("button", { type: "button", "aria-label": "Zoom out", title: "Zoom out (−)" }, "−");
    const reset = element("button", { type: "button", "aria-label": "Reset view", title: "Reset view (0)" }, "Reset");
    const whole = element("button", { type: "button", "aria-label": "Show the whole picture", title: "Show the whole picture" }, "Whole picture");
    zoom.append(zoomIn, zoomOut, reset, whole);
    const findRow = element("div", { class: "tb-explorer__search" });
    findRow.append(findLabel, find, status);
    bar.append(findRow, zoom);

    const counts = new Map();
    for (const node of nodes.values()) {
      for (const tag of node.tags.length ? node.tags : [UNTAGGED]) counts.set(tag, (counts.get(tag) || 0) + 1);
    }
    const tags = element("fieldset", { class: "tb-explorer__tags" });
    tags.append(element("legend", {}, "Show terms tagged"));
    const boxes = element("div", { class: "tb-explorer__boxes" });
    const checks = [];
    for (const tag of [...counts.keys()].sort((a, b) => (a === UNTAGGED) - (b === UNTAGGED) || a.localeCompare(b))) {
      const label = element("label", { class: "tb-explorer__tag" });
      const box = element("input", { type: "checkbox" });
      box.checked = true;
      box.value = tag;
      label.append(box, ` ${tag || "untagged"} `, element("span", { class: "tb-explorer__count" }, `(${counts.get(tag)})`));
      boxes.append(label);
      checks.push(box);
    }
    const all = element("button", { type: "button", class: "tb-explorer__all" }, "All");
    const none = element("button", { type: "button", class: "tb-explorer__none" }, "None");
    const shown = element("output", { class: "tb-explorer__shown", "aria-live": "polite" });
    boxes.append(all, none, shown);
    tags.append(boxes);

    const helpId = `tb-help-${index}`;
    const help = element("p", { class: "tb-explorer__help", id: helpId }, "Drag to pan; scroll or pinch to zoom. With the picture focused: + and − zoom, 0 resets the view, arrow keys pan. Hover or focus a term to see its neighbours.");
    root.append(bar, tags, help);
    root.append(view);
    view.classList.add("tb-explorer__view");
    view.tabIndex = 0;
    view.setAttribute("role", "group");
    view.setAttribute("aria-label", svg.getAttribute("aria-label") || "Graph of terms");
    view.setAttribute("aria-describedby", helpId);
    svg.removeAttribute("width");
    svg.classList.add("tb-explorer__svg");

    // -- the view box: pan and zoom ---------------------------------------------------------------
    const box = { ...full };
    const size = () => ({ w: view.clientWidth || full.w, h: view.clientHeight || full.h });
    const scale = () => size().w / box.w;
    let shownWidth = size().w; // the view's width when the box was last set

    function apply() {
      shownWidth = size().w;
      svg.setAttribute("viewBox", `${box.x.toFixed(2)} ${box.y.toFixed(2)} ${box.w.toFixed(2)} ${box.h.toFixed(2)}`);
    }

    function fitScale() {
      const { w, h } = size();
      return Math.min(w / full.w, h / full.h);
    }

    function setScale(s, cx, cy) {
      // the box keeps the view's aspect ratio, so that SVG units map to pixels the same both ways
      const { w, h } = size();
      s = Math.min(Math.max(s, fitScale() * MIN_ZOOM), Math.max(MAX_SCALE, fitScale()));
      box.w = w / s;
      box.h = h / s;
      box.x = cx - box.w / 2;
      box.y = cy - box.h / 2;
      apply();
    }

    function fit() {
      setScale(fitScale(), full.x + full.w / 2, full.y + full.h / 2);
    }

    function home() {
      // the whole picture when its labels stay readable; else readable labels at its centre
      setScale(Math.max(fitScale(), Math.min(READABLE, MAX_SCALE)), full.x + full.w / 2, full.y + full.h / 2);
    }

    function zoomAt(factor, px, py) {
      const old = scale();
      const { w, h } = size();
      const s = Math.min(Math.max(old * factor, fitScale() * MIN_ZOOM), Math.max(MAX_SCALE, fitScale()));
      const f = s / old;
      box.x = px - (px - box.x) / f;
      box.y = py - (py - box.y) / f;
      box.w = w / s;
      box.h = h / s;
      apply();
    }

    function zoomCentre(factor) {
      zoomAt(factor, box.x + box.w / 2, box.y + box.h / 2);
    }

    function pan(dx, dy) {
      box.x += dx;
      box.y += dy;
      apply();
    }

    function toSvg(clientX, clientY) {
      const r = svg.getBoundingClientRect();
      return [box.x + ((clientX - r.left) * box.w) / (r.width || 1), box.y + ((clientY - r.top) * box.h) / (r.height || 1)];
    }

    function centreOn(node, atLeast) {
      setScale(Math.max(scale(), atLeast), node.x, node.y);
    }

    function inView(node) {
      return node.x > box.x && node.x < box.x + box.w && node.y > box.y && node.y < box.y + box.h;
    }

    home();
    // a resized view keeps its scale and centre
    new ResizeObserver(() => setScale(shownWidth / box.w, box.x + box.w / 2, box.y + box.h / 2)).observe(view);

    view.addEventListener(
      "wheel",
      (event) => {
        event.preventDefault();
        const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? size().h : 1;
        const factor = Math.exp(-event.deltaY * unit * (event.ctrlKey ? 0.01 : 0.002)); // ctrlKey: a pinch
        zoomAt(factor, ...toSvg(event.clientX, event.clientY));
      },
      { passive: false },
    );

    let drag = null; // one pointer down: a pan once it has moved a few pixels
    let pinch = null; // two pointers down (touch): zoom around their midpoint, pan with it
    let dragged = false;
    const pointers = new Map();
    const capture = (id) => {
      try {
        view.setPointerCapture(id);
      } catch (_) {
        // the pointer is gone already
      }
    };
    const midpoint = () => {
      const [a, b] = [...pointers.values()];
      return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, d: Math.hypot(a.x - b.x, a.y - b.y) || 1 };
    };
    view.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        if (drag && drag.moving) root.classList.remove("tb-explorer--dragging");
        drag = null;
        dragged = true; // neither finger opens a term
        pinch = midpoint();
        for (const id of pointers.keys()) capture(id);
        return;
      }
      if (pointers.size > 2) return;
      dragged = false;
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY, bx: box.x, by: box.y, moving: false };
    });
    view.addEventListener("pointermove", (event) => {
      if (pointers.has(event.pointerId)) pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && pointers.size === 2) {
        const now = midpoint();
        const k = box.w / (view.clientWidth || 1);
        pan((pinch.x - now.x) * k, (pinch.y - now.y) * k);
        zoomAt(now.d / pinch.d, ...toSvg(now.x, now.y));
        pinch = now;
        return;
      }
      if (!drag || event.pointerId !== drag.id) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moving) {
        if (Math.hypot(dx, dy) < 4) return;
        drag.moving = true;
        capture(event.pointerId);
        root.classList.add("tb-explorer--dragging");
      }
      const k = box.w / (view.clientWidth || 1);
      box.x = drag.bx - dx * k;
      box.y = drag.by - dy * k;
      apply();
    });
    const endDrag = (event) => {
      pointers.delete(event.pointerId);
      if (pointers.size < 2) pinch = null;
      if (!drag || event.pointerId !== drag.id) return;
      dragged = drag.moving;
      drag = null;
      root.classList.remove("tb-explorer--dragging");
    };
    view.addEventListener("dragstart", (event) => event.preventDefault()); // a link's native drag would cancel the pan
    view.addEventListener("pointerup", endDrag);
    view.addEventListener("pointerleave", (event) => {
      if (!view.hasPointerCapture(event.pointerId)) pointers.delete(event.pointerId);
    });
    view.addEventListener("pointercancel", endDrag);
    view.addEventListener(
      "click",
      (event) => {
        if (dragged) {
          event.preventDefault(); // a drag that started on a term does not open it
          event.stopPropagation();
          dragged = false;
        }
      },
      true,
    );

    view.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const keys = {
        "+": () => zoomCentre(STEP),
        "=": () => zoomCentre(STEP),
        "-": () => zoomCentre(1 / STEP),
        _: () => zoomCentre(1 / STEP),
        0: home,
        ArrowLeft: () => pan(-box.w * PAN, 0),
        ArrowRight: () => pan(box.w * PAN, 0),
        ArrowUp: () => pan(0, -box.h * PAN),
        ArrowDown: () => pan(0, box.h * PAN),
      };
      const action = keys[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    });
    zoomIn.addEventListener("click", () => zoomCentre(STEP));
    zoomOut.addEventListener("click", () => zoomCentre(1 / STEP));
    reset.addEventListener("click", home);
    whole.addEventListener("click", fit);

    // -- neighbourhoods: hover or focus a term --------------------------------------------------
    let hovered = null;
    let focused = null;
    let lit = [];

    function highlight() {
      for (const el of lit) el.classList.remove("tb-lit", "tb-lit--self");
      lit = [];
      const node = hovered || focused;
      svg.classList.toggle("tb-dimmed", Boolean(node));
      if (!node) return;
      node.el.classList.add("tb-lit", "tb-lit--self");
      lit.push(node.el);
      for (const other of node.near) lit.push(other.el);
      for (const edge of node.edges) lit.push(edge.el);
      for (const el of lit) el.classList.add("tb-lit");
    }

    const nodeOf = (target) => (target instanceof Element ? byElement.get(target.closest("a.tb-node")) || null : null);
    svg.addEventListener("pointerover", (event) => {
      const node = nodeOf(event.target);
      if (node !== hovered && !(drag && drag.moving)) {
        hovered = node;
        highlight();
      }
    });
    svg.addEventListener("pointerleave", () => {
      hovered = null;
      highlight();
    });
    svg.addEventListener("focusin", (event) => {
      focused = nodeOf(event.target);
      if (focused && !inView(focused)) centreOn(focused, scale());
      highlight();
    });
    svg.addEventListener("focusout", () => {
      focused = null;
      highlight();
    });

    // -- tags -------------------------------------------------------------------------------------
    function filter() {
      const on = new Set(checks.filter((c) => c.checked).map((c) => c.value));
      let count = 0;
      for (const node of nodes.values()) {
        node.off = !(node.tags.length ? node.tags.some((t) => on.has(t)) : on.has(UNTAGGED));
        node.el.classList.toggle("tb-off", node.off);
        count += node.off ? 0 : 1;
      }
      for (const edge of edges) edge.el.classList.toggle("tb-off", edge.a.off || edge.b.off);
      shown.textContent = `${count} of ${nodes.size} terms shown`;
      search();
    }
    for (const check of checks) check.addEventListener("change", filter);
    all.addEventListener("click", () => {
      for (const check of checks) check.checked = true;
      filter();
    });
    none.addEventListener("click", () => {
      for (const check of checks) check.checked = false;
      filter();
    });

    // -- find -------------------------------------------------------------------------------------
    let matches = [];

    function search() {
      const query = find.value.trim().toLowerCase();
      matches = [];
      for (const node of nodes.values()) {
        const hit = query !== "" && node.key.includes(query);
        node.el.classList.toggle("tb-match", hit);
        if (hit) matches.push(node);
      }
      const rank = (n) => (n.off ? 3 : 0) + (n.key === query ? 0 : n.key.startsWith(query) ? 1 : 2);
      matches.sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
      svg.classList.toggle("tb-finding", query !== "");
      const visible = matches.filter((n) => !n.off).length;
      if (query === "") status.textContent = "";
      else if (!matches.length) status.textContent = "no term matches";
      else status.textContent = `${visible} ${visible === 1 ? "term matches" : "terms match"}` + (visible < matches.length ? ` (${matches.length - visible} hidden by tags)` : "") + (visible ? "; Enter to go to the first" : "");
    }

    find.addEventListener("input", search);
    find.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        const first = matches.find((n) => !n.off);
        if (!first) return;
        centreOn(first, Math.max(1.5, fitScale()));
        view.scrollIntoView({ block: "nearest" }); // the whole view on screen, the term in its middle
        first.el.focus({ preventScroll: true });
      } else if (event.key === "Escape" && find.value) {
        event.preventDefault();
        find.value = "";
        search();
      }
    });

    filter();
    root.classList.add("tb-explorer--ready");
  }

  function init() {
    let index = 0;
    for (const svg of document.querySelectorAll("svg.termbook-graph--wide")) {
      index += 1;
      if (svg.hasAttribute("data-tb-explorer") || !svg.querySelector("a.tb-node[data-slug]")) continue;
      svg.setAttribute("data-tb-explorer", "");
      explore(svg, index);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  // Material's instant navigation replaces the page without loading scripts again
  if (typeof window.document$ === "object" && window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(init);
})();
