/* Ustaz: saves each answer as it changes and counts the time down. The page works without
   this file: every button posts the page's answers.

   On a dropped line nothing given is lost: each answer is kept in this tab's sessionStorage
   until the server acknowledges it, with the save time the page knew when it was given
   (its base). A reload restores and sends an answer the server has not got, unless the
   server saved that question since the base (another tab or a page post did), which wins.
   sessionStorage, not localStorage: a school's shared computer must not keep one person's
   answers for the next. While the line is down the page says so, retries, and holds a
   button press or the end of time until the line is back. */
(function () {
  "use strict";
  var form = document.getElementById("attempt");
  if (!form || !window.fetch || !window.FormData) { return; }
  var token = form.querySelector("[name=csrf_token]");
  var saveUrl = form.getAttribute("data-save-url");
  var banner = document.getElementById("connection");
  var pending = {}, typing = {}, busy = false, submitting = false, ends = null;
  var offline = false, held = null, retry = null;
  var store = null, prefix = "ustaz:attempt:" + form.getAttribute("data-attempt") + ":";
  try {
    store = window.sessionStorage;
    store.setItem(prefix + "probe", "1");
    store.removeItem(prefix + "probe");
  } catch (e) { store = null; }

  function valuesOf(box) {
    var values = [];
    box.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.name.indexOf("present-") === 0) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      values.push([el.name, el.value]);
    });
    return values;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function keep(box) {
    if (!store) { return; }
    try {
      store.setItem(prefix + box.getAttribute("data-slot"),
                    JSON.stringify({base: box.getAttribute("data-answered-at") || "", values: valuesOf(box)}));
    } catch (e) { /* storage full: the answer is still sent */ }
  }

  function kept(slot) {
    try { return store && JSON.parse(store.getItem(prefix + slot)); } catch (e) { return null; }
  }

  function acknowledged(box, sent, savedAt) {
    var count = document.getElementById("answered");
    if (count && !box.getAttribute("data-answered-at")) {  // a first answer to this question
      count.textContent = String(parseInt(count.textContent, 10) + 1);
    }
    box.setAttribute("data-answered-at", savedAt || "");
    var record = kept(box.getAttribute("data-slot"));
    if (!record) { return; }
    if (same(record.values, sent)) { store.removeItem(prefix + box.getAttribute("data-slot")); }
    else { record.base = savedAt || ""; store.setItem(prefix + box.getAttribute("data-slot"), JSON.stringify(record)); }
  }

  function restore(box) {
    var record = kept(box.getAttribute("data-slot"));
    if (!record) { return false; }
    if (record.base !== (box.getAttribute("data-answered-at") || "") || same(record.values, valuesOf(box))) {
      store.removeItem(prefix + box.getAttribute("data-slot"));  // the server has it, or saved a later one
      return false;
    }
    box.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.name.indexOf("present-") === 0) { return; }
      var given = record.values.filter(function (v) { return v[0] === el.name; });
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = given.some(function (v) { return v[1] === el.value; });
      } else {
        el.value = given.length ? given[0][1] : "";
      }
    });
    return true;
  }

  function status(box, text, bad) {
    var p = box.querySelector(".saved");
    if (p) { p.textContent = text; p.className = bad ? "saved error" : "saved"; }
  }

  function say(text) {
    if (banner) { banner.textContent = text || banner.getAttribute("data-offline"); banner.hidden = false; }
  }

  function trouble(text) {
    // the line is down, or the participant was signed out: say so, keep the answer, retry
    say(text);
    clearTimeout(retry);
    retry = setTimeout(next, 5000);
  }

  function lineDown() {
    offline = true;
    trouble();
  }

  function lineUp() {
    offline = false;
    if (banner) { banner.hidden = true; }
    if (held && !busy && !Object.keys(pending).length) { go(held); }
  }

  function go(action) {
    // a button pressed, or the end of time, while the line was down: carried out now
    held = null;
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "action"; input.value = action;
    form.appendChild(input);
    submitting = true;
    form.submit();
  }

  function save(box) {
    var slot = box.getAttribute("data-slot");
    pending[slot] = box;
    if (busy) { return; }
    busy = true;
    delete pending[slot];
    var sent = valuesOf(box), data = new FormData();
    data.append("csrf_token", token ? token.value : "");
    sent.forEach(function (v) { data.append(v[0], v[1]); });
    status(box, form.getAttribute("data-saving"), false);
    fetch(saveUrl.replace(/\/0$/, "/" + slot), {method: "POST", body: data, credentials: "same-origin",
                                              headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, code: r.status, body: body}; }); })
      .then(function (res) {
        busy = false;
        if (res.ok) {
          acknowledged(box, sent, res.body.saved_at);
          status(box, res.body.message, false);
          if (typeof res.body.remaining === "number") { ends = Date.now() + 1000 * res.body.remaining; }
        }
        else if (res.body && res.body.error === "empty") {
          // nothing to store (a cleared field): the server keeps what it has, so does the page
          if (store) { store.removeItem(prefix + slot); }
          status(box, "", false);
        }
        else if (res.code === 409 && res.body.result_url) { window.location = res.body.result_url; return; }
        else if (res.code === 401) {
          // signed out (signing in again in another tab lets the retry through); a button
          // press goes to the sign-in page, and this tab restores the answer on return
          status(box, res.body.message, true);
          if (!pending[slot]) { pending[slot] = box; }
          offline = false;
          trouble(res.body.message);
          return;
        }
        else if (res.body && res.body.error === "csrf") {
          // the page's form is no longer good (signed in again meanwhile): a reload gives a new
          // one and restores the answer kept in this tab
          status(box, res.body.message, true);
          say(res.body.message);
          return;
        }
        else { status(box, res.body.message || "?", true); }
        next();
        lineUp();
      })
      .catch(function () {
        busy = false;
        status(box, form.getAttribute("data-unsaved"), true);
        if (!pending[slot]) { pending[slot] = box; }
        lineDown();
      });
  }

  function next() {
    clearTimeout(retry);
    var slots = Object.keys(pending);
    if (slots.length && !busy) { save(pending[slots[0]]); }
  }

  form.querySelectorAll("fieldset.question").forEach(function (box) {
    if (restore(box)) {
      status(box, form.getAttribute("data-restored"), false);
      save(box);
    }
    box.addEventListener("change", function () { keep(box); save(box); });
    box.addEventListener("input", function (e) {
      if (e.target.tagName !== "TEXTAREA" && e.target.type !== "text") { return; }
      keep(box);
      var slot = box.getAttribute("data-slot");
      clearTimeout(typing[slot]);
      typing[slot] = setTimeout(function () { save(box); }, 1500);
    });
  });

  form.querySelectorAll("button.flag").forEach(function (button) {
    // without this, the button posts the page (answers saved) and the server sets the flag
    button.addEventListener("click", function (e) {
      e.preventDefault();
      var on = button.getAttribute("aria-pressed") !== "true", data = new FormData();
      data.append("csrf_token", token ? token.value : "");
      data.append("flagged", on ? "1" : "0");
      fetch(button.getAttribute("data-flag-url"), {method: "POST", body: data, credentials: "same-origin",
                                                   headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) { return; }
          button.setAttribute("aria-pressed", body.flagged ? "true" : "false");
          button.textContent = button.getAttribute(body.flagged ? "data-on" : "data-off");
          var here = form.querySelector(".pages button[aria-current=page]");  // this page in the list
          if (here) {
            here.textContent = here.textContent.replace(/ ⚑$/, "")
              + (form.querySelector("button.flag[aria-pressed=true]") ? " ⚑" : "");
          }
        })
        .catch(function () { /* a flag is only a reminder: the participant presses it again */ });
    });
  });

  form.addEventListener("submit", function (e) {
    if (offline) {
      // the post would end on the browser's error page: stay, and go on once the line is back
      e.preventDefault();
      held = e.submitter ? e.submitter.value : "save";
      say();
      next();
      return;
    }
    submitting = true;
  });
  window.addEventListener("online", next);
  window.addEventListener("beforeunload", function (e) {
    if (!submitting && (busy || Object.keys(pending).length)) { e.preventDefault(); e.returnValue = ""; }
  });

  var timer = document.getElementById("timer");
  if (timer) {
    ends = Date.now() + 1000 * parseInt(timer.getAttribute("data-remaining"), 10);
    var tick = setInterval(function () {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      timer.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (left <= 60) { timer.className = "ending"; }
      if (left === 0) {
        clearInterval(tick);
        // "timeup": the server finishes the attempt, unless a trainer gave more time meanwhile;
        // on a dropped line the answers wait for it (the server allows a grace period)
        if (offline) { held = "timeup"; next(); } else { go("timeup"); }
      }
    }, 1000);
  }
})();
