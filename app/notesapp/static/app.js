// Notes page behaviour: lists notes from the JSON API and posts new ones.
// A static file because nginx's Content-Security-Policy forbids inline script; user text is
// only ever set through textContent so a note can never inject markup.
"use strict";

(() => {
  const api = document.body.dataset.api;
  const form = document.getElementById("note-form");
  const list = document.getElementById("notes");
  const empty = document.getElementById("empty");
  const status = document.getElementById("status");

  function showStatus(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  function renderNote(note) {
    const item = element("li", "note card", "");
    const time = element("time", "note-time", new Date(note.created_at).toLocaleString());
    time.dateTime = note.created_at;
    item.append(element("h3", "note-title", note.title), time);
    if (note.body) {
      item.append(element("p", "note-body", note.body));
    }
    return item;
  }

  function showNotes(notes) {
    list.replaceChildren(...notes.map(renderNote));
    empty.hidden = notes.length > 0;
  }

  async function request(options) {
    const response = await fetch(api, { headers: { Accept: "application/json" }, ...options });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(data.error || `request failed (HTTP ${response.status})`);
    }
    return data;
  }

  async function loadNotes() {
    const data = await request({});
    showNotes(data.notes);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const note = await request({
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify({ title: form.elements.title.value, body: form.elements.body.value }),
      });
      form.reset();
      showStatus(`Saved "${note.title}".`, false);
      await loadNotes();
    } catch (error) {
      showStatus(error.message, true);
    } finally {
      button.disabled = false;
    }
  });

  loadNotes().catch((error) => showStatus(`Could not load notes: ${error.message}`, true));
})();
