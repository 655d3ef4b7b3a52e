/* termbook search worker: answers Material's search box from termbook's own search data.

   Material's page script talks to its search worker with four messages (SETUP, READY, QUERY,
   RESULT; src/templates/assets/javascripts/integrations/search/worker/message in mkdocs-material)
   and renders whatever RESULT holds. termbook points the page's configuration at this script
   instead of Material's lunr worker. On SETUP it loads terms.js (every term's name, other names,
   summary and tags; or takes the page's copy, which the previews may have loaded) and is
   READY as soon as that is parsed, so the first keystroke is answered at once
   (from file://, where it shares the page's thread, it is READY at once and loads terms.js on the
   first query instead)
   from the terms: a term's name, alias, acronym, plural, or a prefix of them. The full-text index
   (search-text.js) is loaded on the first query; when it arrives, the latest query is answered
   again with the pages whose text matches below the term hits.

   It runs as a Web Worker over http and, from file://, inside the iframe stand-in of
   iframe-worker-shim.js, whose importScripts returns a promise: both are handled. Titles and texts
   in a RESULT are HTML (Material inserts them as such): everything from the data is escaped here. */
"use strict";
(() => {
  const SETUP = 0;
  const READY = 1;
  const QUERY = 2;
  const RESULT = 3;
  const MAX_TERMS = 20;
  const MAX_PAGES = 40;
  const MAX_EXPANSIONS = 30; // vocabulary words a query word may stand for as a prefix

  // where this script is: the Worker's location, or its script element in the iframe stand-in
  const iframe = Boolean(self.document);
  const here = iframe && document.currentScript ? document.currentScript.src : self.location.href;

  // The data files are scripts, "self.__termbookX = <JSON>;", so that the iframe stand-in loads them
  // as scripts from file://. A real Worker (http) fetches them and parses the JSON instead, because
  // importScripts blocks the worker until the file has loaded: queries would wait behind it.
  const data = (name, global) => {
    const url = new URL(name, here).href;
    if (iframe || !self.fetch) return Promise.resolve(importScripts(url)).then(() => self[global]);
    return fetch(url)
      .then((response) => {
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        return response.text();
      })
      .then((script) => JSON.parse(script.slice(script.indexOf("=") + 1, script.lastIndexOf(";"))));
  };

  const normalize = (s) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  const tokens = (s) => normalize(s).match(/[\p{L}\p{N}]+/gu) || [];
  const key = (s) => tokens(s).join(" ");
  const escape = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // text, escaped, with every word that starts with a query word marked
  const mark = (text, words) => {
    let out = "";
    let last = 0;
    for (const match of text.matchAll(/[\p{L}\p{N}]+/gu)) {
      const word = normalize(match[0]);
      if (!words.some((w) => word.startsWith(w))) continue;
      out += escape(text.slice(last, match.index)) + "<mark>" + escape(match[0]) + "</mark>";
      last = match.index + match[0].length;
    }
    return out + escape(text.slice(last));
  };

  // -- the terms --------------------------------------------------------------------------------

  let terms = null; // [{url, name, summary, tags, phrases: [{key, compact, name}]}]
  let byUrl = null;

  const prepareTerms = (rows) => {
    terms = rows.map(([url, name, summary, tags, others]) => ({
      url,
      name,
      summary,
      tags,
      phrases: [name, ...others].map((phrase, i) => {
        const k = key(phrase);
        return { key: k, spaced: " " + k, compact: k.replace(/ /g, ""), name: i === 0 };
      }),
    }));
    byUrl = new Map(terms.map((t, i) => [t.url, i]));
  };

  // how well a phrase matches the query (0: not at all); exact beats prefix beats a word inside
  const phraseScore = (phrase, q, qc, qwords) => {
    let tier = 0;
    if (phrase.key === q) tier = 6;
    else if (phrase.compact === qc) tier = 5; // "batchnorm" for "batch norm", "tsne" for "t-SNE"
    else if (phrase.key.startsWith(q)) tier = 4; // "batch no", "transf"
    else if (qc.length > 2 && phrase.compact.startsWith(qc)) tier = 3;
    else if (phrase.spaced.includes(" " + q)) tier = 2; // "normalization" in "batch normalization"
    else if (qwords.length > 1 && qwords.every((w) => phrase.spaced.includes(" " + w))) tier = 1;
    if (!tier) return 0;
    // a name before an alias, a phrase the query covers more of before a longer one
    return tier * 10 + (phrase.name ? 2 : 0) + (q.length / phrase.key.length) * 2;
  };

  // the query with its last word made singular ("epochs" → "epoch"): a plural the term does not list
  const singulars = (q) => {
    const out = [];
    if (/[^s]s$/.test(q) && q.length > 3) out.push(q.slice(0, -1));
    if (/(s|x|z|ch|sh)es$/.test(q)) out.push(q.slice(0, -2));
    if (/[^aeiou]ies$/.test(q)) out.push(q.slice(0, -3) + "y");
    return out;
  };

  const termHits = (q, qwords) => {
    const qc = q.replace(/ /g, "");
    const singular = singulars(q);
    const hits = [];
    terms.forEach((term, i) => {
      let best = 0;
      let phrase = null;
      for (const p of term.phrases) {
        let s = phraseScore(p, q, qc, qwords);
        if (s < 50 && singular.includes(p.key)) s = 55 + (p.name ? 2 : 0); // as good as an exact alias
        if (s > best) [best, phrase] = [s, p];
      }
      if (best) hits.push({ term: i, score: best, phrase });
    });
    hits.sort((a, b) => b.score - a.score || terms[a.term].name.length - terms[b.term].name.length);
    return hits.slice(0, MAX_TERMS);
  };

  // -- the full text ----------------------------------------------------------------------------

  let text = null; // {pages, words: [...], postings: [...], stop: Set, steps}

  const prepareText = (raw) => {
    text = {
      pages: raw.pages,
      words: raw.words ? raw.words.split("\n") : [],
      postings: raw.postings ? raw.postings.split("\n") : [],
      stop: new Set(raw.stop.split(" ")),
      steps: raw.steps,
    };
  };

  const END = "0123456789abcdefghijklmnopqrstuv";
  const MORE = "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$%";
  const digit = new Map([...END].map((c, i) => [c, [i, false]]).concat([...MORE].map((c, i) => [c, [i, true]])));

  // [page, inTitle, count] for every page holding vocabulary word number i
  const postingsOf = (i) => {
    const out = [];
    let page = -1;
    let value = 0;
    let shift = 0;
    for (const c of text.postings[i]) {
      const [d, more] = digit.get(c);
      value += d * 2 ** shift;
      if (more) {
        shift += 5;
        continue;
      }
      page += Math.floor(value / 16) + 1;
      out.push([page, (value & 8) !== 0, text.steps[value & 7]]);
      value = 0;
      shift = 0;
    }
    return out;
  };

  const firstAtLeast = (word) => {
    let lo = 0;
    let hi = text.words.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (text.words[mid] < word) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  // vocabulary words a query word stands for, with a weight: itself, its singular, longer words it starts
  const expansions = (w, prefix) => {
    const out = new Map();
    const exact = (word, weight) => {
      const i = firstAtLeast(word);
      if (text.words[i] === word && !out.has(i)) out.set(i, weight);
    };
    exact(w, 1);
    if (w.length > 3 && w.endsWith("ies")) exact(w.slice(0, -3) + "y", 0.9);
    if (w.length > 3 && w.endsWith("es")) exact(w.slice(0, -2), 0.9);
    if (w.length > 3 && w.endsWith("s")) exact(w.slice(0, -1), 0.9);
    if (prefix) {
      const found = [];
      for (let i = firstAtLeast(w); i < text.words.length && text.words[i].startsWith(w); i++) {
        if (!out.has(i)) found.push(i);
      }
      found.sort((a, b) => text.words[a].length - text.words[b].length);
      for (const i of found.slice(0, MAX_EXPANSIONS)) out.set(i, 0.5 + (0.4 * w.length) / text.words[i].length);
    }
    return out;
  };

  const textHits = (qwords) => {
    const words = qwords.filter((w) => w.length > 1 && !text.stop.has(w));
    if (!words.length) return [];
    const n = text.pages.length;
    const scores = new Map(); // page -> [score per query word]
    words.forEach((w, k) => {
      // every word may be a prefix (the reader may still be typing it), the last one always is
      const prefix = k === words.length - 1 || w.length > 2;
      for (const [i, weight] of expansions(w, prefix)) {
        const list = postingsOf(i);
        const idf = Math.log(1 + n / list.length);
        for (const [page, inTitle, count] of list) {
          const s = idf * weight * (count / (count + 1.5)) * (inTitle ? 2 : 1);
          let row = scores.get(page);
          if (!row) scores.set(page, (row = new Array(words.length).fill(0)));
          if (s > row[k]) row[k] = s;
        }
      }
    });
    const hits = [];
    for (const [page, row] of scores) {
      const found = row.filter((s) => s > 0).length;
      const term = byUrl.has(text.pages[page][0]);
      // pages with every query word first; a term page before a page that mentions the term
      const score = row.reduce((a, b) => a + b, 0) * (found / words.length) ** 2 * (term ? 1.5 : 1);
      hits.push({ page, score, found: words.map((w, k) => row[k] > 0) });
    }
    // equal scores: the shorter title first (the general term before its variants)
    const title = (page) => (byUrl.has(text.pages[page][0]) ? terms[byUrl.get(text.pages[page][0])].name : text.pages[page][1]);
    hits.sort((a, b) => b.score - a.score || title(a.page).length - title(b.page).length);
    return hits.slice(0, MAX_PAGES).map((h) => ({ ...h, words }));
  };

  // -- answering ----------------------------------------------------------------------------------

  let suggestions = false;

  const item = (url, title, body, tags, score, flags) => [
    {
      location: url,
      title,
      text: body,
      ...(tags && tags.length ? { tags: tags.map(escape) } : {}),
      score,
      terms: flags,
    },
  ];

  const search = (query) => {
    const qwords = tokens(query);
    const q = qwords.join(" ");
    if (!q) return { items: [] };
    const items = [];
    const shown = new Set();
    const flags = Object.fromEntries(qwords.map((w) => [w, true]));
    const hits = termHits(q, qwords);
    for (const hit of hits) {
      const t = terms[hit.term];
      shown.add(t.url);
      items.push(item(t.url, mark(t.name, qwords), mark(t.summary, qwords), t.tags, 1000 + hit.score, flags));
    }
    if (text) {
      for (const hit of textHits(qwords)) {
        const [url, title, excerpt] = text.pages[hit.page];
        if (shown.has(url)) continue;
        shown.add(url);
        const t = byUrl.has(url) ? terms[byUrl.get(url)] : null;
        const found = Object.fromEntries(hit.words.map((w, k) => [w, hit.found[k]]));
        items.push(item(url, mark(t ? t.name : title, qwords), mark(t ? t.summary : excerpt, qwords), t && t.tags, hit.score, found));
      }
    }
    const result = { items };
    if (suggestions) {
      // the word the reader is typing, completed from the best term's phrase
      const last = qwords[qwords.length - 1];
      const word = hits.length ? hits[0].phrase.key.split(" ").find((w) => w.startsWith(last) && w !== last) : undefined;
      result.suggest = word ? [word] : [];
    }
    return result;
  };

  let latest = null;
  let answering = false; // an answer to the latest query is scheduled
  let loadingTerms = null;
  let loadingText = null;

  // the page's copy of the terms, when the previews already loaded it (iframe stand-in, file://)
  const parentTerms = () => {
    try {
      return self.parent !== self ? self.parent.__termbookTerms : undefined;
    } catch {
      return undefined;
    }
  };

  const answer = (query) => {
    latest = query;
    postMessage({ type: RESULT, data: search(query) });
    // not for the empty query Material sends when the worker is READY (at every page load over http)
    if (!loadingText && tokens(query).length) {
      loadingText = data("search-text.js", "__termbookText").then((raw) => {
        prepareText(raw);
        if (latest !== null) postMessage({ type: RESULT, data: search(latest) });
      });
    }
  };

  const loadTerms = () => {
    if (loadingTerms) return;
    const shared = parentTerms();
    loadingTerms = (shared ? Promise.resolve(shared) : data("terms.js", "__termbookTerms")).then(prepareTerms);
    if (!iframe) loadingTerms.then(() => postMessage({ type: READY }));
  };

  addEventListener("message", (event) => {
    const message = event.data;
    if (message.type === SETUP) {
      suggestions = Boolean(message.data && message.data.options && message.data.options.suggest);
      if (iframe) {
        // from file:// this runs on the page's own thread: a page that is only read never parses
        // the terms (half a second at 10,000); the first query loads them
        postMessage({ type: READY });
      } else loadTerms();
    } else if (message.type === QUERY) {
      if (!loadingTerms && !tokens(String(message.data)).length) {
        postMessage({ type: RESULT, data: search("") }); // Material's empty query on READY: nothing to load for it
        return;
      }
      loadTerms();
      // Material sends a query per keystroke; a busy worker answers only the latest of those waiting
      latest = String(message.data);
      if (answering) return;
      answering = true;
      loadingTerms.then(() => setTimeout(() => {
        answering = false;
        answer(latest);
      }, 0));
    }
  });
})();
