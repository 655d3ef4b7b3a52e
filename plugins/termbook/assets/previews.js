/* termbook previews: a card with a term's name, summary and tags on any link to a term page.

   Hover (mouse), focus (keyboard) or tap (touch: the first tap previews, the second follows the
   link) shows the card; Escape, moving away or tapping elsewhere closes it. The cards' data is
   baked into terms.js at build time (self.__termbookTerms: one row per term, shared with search),
   so nothing is fetched and it works from file://. It grows with the glossary (megabytes at 10,000
   terms, half a second of parsing), so a page that is only read never loads it: it is asked for at
   the first pointer (mouse, pen or touch) or keyboard focus on the page, and a card asked for
   before it arrives shows when it does.
   The card floats over the page: nothing moves when it opens. */
"use strict";
(() => {
  const config = JSON.parse((document.getElementById("__config") || {}).textContent || "{}");
  const root = new URL((config.base || ".") + "/", location.href);
  const data = new URL("terms.js", document.currentScript.src).href; // next to this script

  let cards = null; // by site-relative URL, once terms.js is loaded
  let pending = null; // the link a card was asked for before the data arrived
  let waiting = null; // the link tapped before the data arrived: previewed or followed once it is here

  // the site-relative path a link points to, or null (another site, an anchor on this page)
  const pathOf = (link) => {
    const href = link.getAttribute("href");
    if (!href || href.startsWith("#")) return null;
    let url;
    try {
      url = new URL(href, location.href);
    } catch {
      return null;
    }
    if (!url.href.startsWith(root.href)) return null;
    return decodeURI(url.pathname.slice(new URL(root.href).pathname.length)).replace(/(^|\/)index\.html$/, "$1");
  };
  const keyOf = (link) => {
    const path = pathOf(link);
    return path !== null && Object.prototype.hasOwnProperty.call(cards, path) ? path : null;
  };
  const outside = (link) => link.closest(".termbook-card, .md-header, .md-nav, .md-footer, .md-search");

  // A term link's own title would show a second tooltip (Material makes one of every link's title
  // when the page starts, before the data is here): the titles of links into the site are set
  // aside now, and given back to the links that turn out not to be terms' when the data arrives.
  // A link whose only content is a formula or a picture (a notation symbol) is named by its title:
  // it keeps that name as its label, with the formula's text, while the title is aside.
  const pictureOnly = (link) => {
    const copy = link.cloneNode(true);
    for (const part of copy.querySelectorAll("math, svg, img")) part.remove();
    return !copy.textContent.trim();
  };
  for (const link of document.querySelectorAll("a[href][title]")) {
    if (!outside(link) && pathOf(link) !== null) {
      const title = link.getAttribute("title");
      if (!link.hasAttribute("aria-label") && pictureOnly(link)) {
        const text = link.textContent.trim();
        link.setAttribute("aria-label", text ? `${text}: ${title}` : title);
      }
      link.dataset.termbookTitle = title;
      link.removeAttribute("title");
    }
  }

  const card = document.createElement("div");
  card.className = "termbook-card";
  card.id = "termbook-card";
  card.setAttribute("role", "tooltip");
  card.hidden = true;
  document.body.appendChild(card);

  let current = null; // the link the card is for
  let armed = null; // touch: the link whose first tap opened the card
  let hideTimer = 0;
  let showTimer = 0;

  const fill = (data, href) => {
    card.replaceChildren();
    const title = document.createElement("p");
    title.className = "termbook-card__title";
    title.textContent = data.name;
    const summary = document.createElement("p");
    summary.className = "termbook-card__summary";
    summary.textContent = data.summary;
    card.append(title, summary);
    if (data.tags && data.tags.length) {
      const tags = document.createElement("p");
      tags.className = "termbook-card__tags";
      for (const tag of data.tags) {
        const span = document.createElement("span");
        span.className = "termbook-card__tag";
        span.textContent = tag;
        tags.append(span);
      }
      card.append(tags);
    }
    const more = document.createElement("a");
    more.className = "termbook-card__more";
    more.href = href;
    more.textContent = "Read more →";
    card.append(more);
  };

  const place = (link) => {
    const box = link.getBoundingClientRect();
    const width = Math.min(360, document.documentElement.clientWidth - 16);
    card.style.width = width + "px";
    let left = box.left + window.scrollX;
    left = Math.max(window.scrollX + 8, Math.min(left, window.scrollX + document.documentElement.clientWidth - width - 8));
    card.style.left = left + "px";
    const below = box.bottom + window.scrollY + 6;
    card.style.top = below + "px";
    const height = card.offsetHeight;
    if (box.bottom + height + 12 > window.innerHeight && box.top - height - 6 > 0) {
      card.style.top = box.top + window.scrollY - height - 6 + "px";
    }
  };

  const show = (link) => {
    const key = keyOf(link);
    if (!key) return;
    clearTimeout(hideTimer);
    if (current === link && !card.hidden) return;
    if (current && current !== link) current.removeAttribute("aria-describedby");
    current = link;
    fill(cards[key], new URL(key || ".", root).href);
    card.hidden = false;
    place(link);
    link.setAttribute("aria-describedby", card.id);
  };

  const hide = () => {
    clearTimeout(showTimer);
    card.hidden = true;
    if (current) current.removeAttribute("aria-describedby");
    current = null;
    armed = null;
  };

  const termLink = (target) => {
    const link = target instanceof Element ? target.closest("a[href]") : null;
    if (!link || outside(link)) return null;
    if (!cards) {
      pending = link;
      request();
      return null;
    }
    return keyOf(link) ? link : null;
  };

  const ready = () => {
    const rows = window.__termbookTerms;
    if (!rows) return;
    cards = {};
    for (const [url, name, summary, tags] of rows) cards[url] = { name, summary, tags };
    for (const link of document.querySelectorAll("a[data-termbook-title]")) {
      if (!keyOf(link)) link.setAttribute("title", link.dataset.termbookTitle);
    }
    if (waiting) {
      const tapped = waiting;
      waiting = null;
      if (!keyOf(tapped)) location.assign(tapped.href);
      else {
        show(tapped);
        armed = tapped;
      }
      return;
    }
    const link = pending && termLink(pending);
    pending = null;
    if (link && (link.matches(":hover") || link === document.activeElement)) show(link);
  };

  let requested = false;
  function request() {
    if (requested) return;
    requested = true;
    const script = document.createElement("script");
    script.src = data;
    script.addEventListener("load", ready);
    document.head.append(script);
  }
  document.addEventListener("pointerover", request, { once: true, capture: true });
  document.addEventListener("focusin", request, { once: true, capture: true });

  document.addEventListener("mouseover", (event) => {
    if (event.target instanceof Element && event.target.closest(".termbook-card")) {
      clearTimeout(hideTimer);
      return;
    }
    const link = termLink(event.target);
    if (!link) return;
    clearTimeout(showTimer);
    showTimer = setTimeout(() => show(link), 120);
  });
  document.addEventListener("mouseout", (event) => {
    if (!termLink(event.target) && !(event.target instanceof Element && event.target.closest(".termbook-card"))) return;
    clearTimeout(showTimer);
    if (armed) return; // opened by touch: stays until tapped elsewhere
    hideTimer = setTimeout(() => {
      if (!card.matches(":hover") && !(current && current.matches(":focus"))) hide();
    }, 200);
  });
  document.addEventListener("focusin", (event) => {
    const link = termLink(event.target);
    if (link) show(link);
    else if (!(event.target instanceof Element && event.target.closest(".termbook-card"))) hide();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !card.hidden) {
      const link = current;
      hide();
      if (link) link.focus({ preventScroll: true });
    }
  });
  // touch: the first tap on a term link previews it, the second follows it
  document.addEventListener("pointerdown", (event) => {
    if (event.pointerType !== "touch") return;
    const link = termLink(event.target);
    if (!link && !(event.target instanceof Element && event.target.closest(".termbook-card"))) hide();
  });
  document.addEventListener(
    "click",
    (event) => {
      const touch = event.pointerType === "touch" || (event.sourceCapabilities && event.sourceCapabilities.firesTouchEvents);
      if (touch && !cards) {
        // the first tap of the page came before the data: whether the link is a term's is known
        // when it arrives (then a term's previews, any other link is followed)
        const tapped = event.target instanceof Element ? event.target.closest("a[href]") : null;
        if (tapped && !outside(tapped) && pathOf(tapped) !== null) {
          event.preventDefault();
          waiting = tapped;
          request();
        }
        return;
      }
      const link = termLink(event.target);
      if (!link) return;
      if (!touch) return;
      if (armed === link) return; // second tap: follow
      event.preventDefault();
      show(link);
      armed = link;
    },
    true,
  );
  window.addEventListener("resize", () => current && place(current));
})();
