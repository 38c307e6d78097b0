/* Ustaz: saves each answer as it changes and counts the time down. The page works without
   this file: every button posts the page's answers. */
(function () {
  "use strict";
  var form = document.getElementById("attempt");
  if (!form || !window.fetch || !window.FormData) { return; }
  var token = form.querySelector("[name=csrf_token]");
  var saveUrl = form.getAttribute("data-save-url");
  var pending = {}, typing = {}, busy = false, submitting = false, ends = null;

  function fieldsOf(box) {
    var data = new FormData();
    data.append("csrf_token", token ? token.value : "");
    box.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.name.indexOf("present-") === 0) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      data.append(el.name, el.value);
    });
    return data;
  }

  function status(box, text, bad) {
    var p = box.querySelector(".saved");
    if (p) { p.textContent = text; p.className = bad ? "saved error" : "saved"; }
  }

  function save(box) {
    var slot = box.getAttribute("data-slot");
    pending[slot] = box;
    if (busy) { return; }
    busy = true;
    delete pending[slot];
    status(box, form.getAttribute("data-saving"), false);
    fetch(saveUrl.replace(/\/0$/, "/" + slot), {method: "POST", body: fieldsOf(box), credentials: "same-origin",
                                              headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, code: r.status, body: body}; }); })
      .then(function (res) {
        busy = false;
        if (res.ok) {
          status(box, res.body.message, false);
          if (typeof res.body.remaining === "number") { ends = Date.now() + 1000 * res.body.remaining; }
        }
        else if (res.body && res.body.error === "empty") { status(box, "", false); }
        else if (res.code === 409 && res.body.result_url) { window.location = res.body.result_url; return; }
        else { status(box, res.body.message || "?", true); }
        next();
      })
      .catch(function () {
        busy = false;
        status(box, form.getAttribute("data-unsaved"), true);
        pending[slot] = box;
        setTimeout(next, 5000);
      });
  }

  function next() {
    var slots = Object.keys(pending);
    if (slots.length) { save(pending[slots[0]]); }
  }

  form.querySelectorAll("fieldset.question").forEach(function (box) {
    box.addEventListener("change", function () { save(box); });
    box.addEventListener("input", function (e) {
      if (e.target.tagName !== "TEXTAREA" && e.target.type !== "text") { return; }
      var slot = box.getAttribute("data-slot");
      clearTimeout(typing[slot]);
      typing[slot] = setTimeout(function () { save(box); }, 1500);
    });
  });

  form.addEventListener("submit", function () { submitting = true; });
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
        var action = document.createElement("input");
        // "timeup": the server finishes the attempt, unless a trainer gave more time meanwhile
        action.type = "hidden"; action.name = "action"; action.value = "timeup";
        form.appendChild(action);
        submitting = true;
        form.submit();
      }
    }, 1000);
  }
})();
