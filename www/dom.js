// DOM helpers shared by the demo page's views. Untrusted text (anything from
// Pleo, the worker or the address bar) becomes text nodes, never HTML.

export const $ = (id) => document.getElementById(id);

/** Creates an element; string/number children become text nodes (never HTML). */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function shortText(value, max = 120) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function companyIdFromSubject(subject) {
  return subject?.split(":").pop() ?? "";
}

export function showNotice(kind, title, text) {
  const notice = $("notice");
  notice.dataset.kind = kind;
  $("notice-title").textContent = title;
  $("notice-text").textContent = text;
  notice.hidden = false;
}

export function hideNotice() {
  $("notice").hidden = true;
}
