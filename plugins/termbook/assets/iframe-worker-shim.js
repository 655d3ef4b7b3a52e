/* iframe-worker 1.0.4 shim (https://github.com/squidfunk/iframe-worker), MIT License,
   Copyright (c) 2020-2022 Martin Donath. Vendored so the offline site loads nothing from a CDN.

   Modified by termbook: the original writes an inline <script> into the worker's iframe, which a
   Content-Security-Policy without 'unsafe-inline' refuses. Here the parent sets up the iframe's
   globals (postMessage, importScripts, the error listener) itself and loads the worker script as
   an ordinary external script, so the page's policy can forbid inline scripts.

   Pages opened from file:// cannot start Web Workers; Material's search runs in this stand-in,
   which has the same interface (postMessage, onmessage, onerror, terminate). */
"use strict";
(() => {
  class IFrameWorker extends EventTarget {
    constructor(url) {
      super();
      this.url = url;
      const iframe = document.createElement("iframe");
      iframe.hidden = true;
      document.body.appendChild((this.iframe = iframe));
      const w = this.w;
      w.document.open();
      w.document.write("<html><body></body></html>");
      w.document.close();
      // what the worker script calls: postMessage(data) reaches whoever listens on this object
      w.postMessage = (data) => {
        const copy = structuredClone(data);
        setTimeout(() => {
          const event = new MessageEvent("message", { data: copy });
          this.dispatchEvent(event);
          if (this.onmessage) this.onmessage(event);
        }, 0);
      };
      // importScripts(...urls): load them in order, as external scripts of the iframe
      w.importScripts = (...urls) =>
        urls.reduce(
          (done, src) =>
            done.then(
              () =>
                new Promise((resolve, reject) => {
                  const script = w.document.createElement("script");
                  script.src = src;
                  script.onload = resolve;
                  script.onerror = reject;
                  w.document.body.appendChild(script);
                }),
            ),
          Promise.resolve(),
        );
      w.addEventListener("error", ({ message, lineno, colno, error }) => {
        const event = new ErrorEvent("error", { message, filename: `${url}`, lineno, colno, error });
        this.dispatchEvent(event);
        if (this.onerror) this.onerror(event);
      });
      const script = w.document.createElement("script");
      script.src = `${url}?${+Date.now()}`;
      this.r = new Promise((resolve, reject) => {
        script.onload = resolve;
        script.onerror = reject;
      });
      w.document.body.appendChild(script);
    }

    terminate() {
      this.iframe.remove();
    }

    postMessage(data) {
      this.r.catch(() => {}).then(() => {
        this.w.dispatchEvent(new MessageEvent("message", structuredClone({ data })));
      });
    }

    get w() {
      return this.iframe.contentWindow;
    }
  }

  window.IFrameWorker = IFrameWorker;
  if (location.protocol === "file:") window.Worker = IFrameWorker;
})();
