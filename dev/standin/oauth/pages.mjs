// HTML for the stand-in's sign-in, consent and error pages: self-contained
// (inline CSS, no fonts, scripts or images from anywhere), pre-filled so that
// pressing the submit button on each page completes the flow.

const esc = (value) =>
  String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");

// Pages carry no script; CSP forbids everything but inline styles.
// No form-action: Chromium applies it to the redirect chain after the POST,
// which ends at the client's redirect URI on another origin.
export const PAGE_HEADERS = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

const CSS = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;
  background:#f6f1ec;color:#1d1d1b;font:15px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{width:100%;max-width:400px;padding:16px}
.card{background:#fff;border-radius:16px;padding:32px 28px;box-shadow:0 1px 2px rgba(0,0,0,.06),0 8px 24px rgba(0,0,0,.06)}
.logo{font-weight:800;font-size:28px;letter-spacing:-1px;margin:0 0 20px;color:#1d1d1b}
.logo span{color:#ff8a8a}
h1{font-size:20px;margin:0 0 6px}
p{margin:0 0 16px;color:#55524d}
label{display:block;font-weight:600;font-size:13px;margin:14px 0 6px}
input[type=email],input[type=password]{width:100%;height:44px;padding:0 12px;font:inherit;border:1px solid #d8d3cd;border-radius:8px;background:#fff}
input:focus{outline:2px solid #1d1d1b;outline-offset:1px}
button{width:100%;height:44px;margin-top:20px;border:0;border-radius:8px;background:#1d1d1b;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button:hover{background:#3a3936}
button.secondary{margin-top:10px;background:#fff;color:#1d1d1b;border:1px solid #d8d3cd}
button.secondary:hover{background:#f6f1ec}
.company{display:flex;gap:12px;align-items:center;padding:12px;border:1px solid #e6e1db;border-radius:10px;margin-top:8px;cursor:pointer}
.company:has(input:checked){border-color:#1d1d1b;background:#fbf8f5}
.company small{display:block;color:#8a857e;font-size:12px;word-break:break-all}
.scopes{margin:12px 0 0;padding:0;list-style:none}
.scopes li{padding:4px 0 4px 22px;position:relative;font-size:14px}
.scopes li:before{content:"✓";position:absolute;left:2px;color:#2e9f5b;font-weight:700}
.error{background:#fdecec;color:#a3262a;border-radius:8px;padding:10px 12px;margin:0 0 8px;font-size:14px}
.hint{font-size:12px;color:#8a857e;margin-top:18px;text-align:center}
footer{margin-top:12px;font-size:12px;color:#8a857e}
`;

function layout(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Pleo (local stand-in)</title>
<style>${CSS}</style>
</head>
<body>
<main>
<div class="card">
<p class="logo" aria-label="Pleo">pleo<span>.</span></p>
${body}
</div>
</main>
<footer>Local Pleo stand-in for development. Not affiliated with Pleo.</footer>
</body>
</html>`;
}

export function loginPage({ uid, clientName, email, password, error }) {
  return layout(
    "Sign in",
    `
<h1>Log in to Pleo</h1>
<p><strong>${esc(clientName)}</strong> wants to connect to your Pleo account.</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ""}
<form id="login" method="post" action="/interaction/${esc(uid)}/login">
<label for="email">Email</label>
<input id="email" type="email" name="email" value="${esc(email)}" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" type="password" name="password" value="${esc(password)}" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
<p class="hint">Demo account, pre-filled: just press “Log in”.</p>`,
  );
}

export function consentPage({ uid, clientName, userEmail, companies, selected, scopes }) {
  const options = companies
    .map(
      (c, i) => `
<label class="company" for="company-${i}">
<input type="radio" id="company-${i}" name="company" value="${esc(c.subject)}"${c.subject === selected ? " checked" : ""}>
<span>${esc(c.name)}<small>${esc(c.subject)}</small></span>
</label>`,
    )
    .join("");
  const scopeList = scopes.length
    ? `<ul class="scopes">${scopes.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>`
    : "<p>No API access was requested.</p>";
  return layout(
    "Connect",
    `
<h1>Connect ${esc(clientName)}</h1>
<p>Signed in as ${esc(userEmail)}. Choose the company to connect.</p>
<form id="consent" method="post" action="/interaction/${esc(uid)}/confirm">
${options}
<label>${esc(clientName)} will be able to:</label>
${scopeList}
<button type="submit" name="decision" value="allow">Allow and connect</button>
<button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Deny</button>
</form>`,
  );
}

export function errorPage({ title = "Something went wrong", error, description }) {
  return layout(
    title,
    `
<h1>${esc(title)}</h1>
${error ? `<p class="error"><strong>${esc(error)}</strong>${description ? `: ${esc(description)}` : ""}</p>` : ""}
<p>Start the connection again from the application.</p>`,
  );
}

export function gatewayErrorPage(status, reason) {
  // Imitates an HTML page from a load balancer in front of the token endpoint.
  const line = `${status} ${esc(reason)}`;
  return `<!doctype html><html><head><title>${line}</title></head>
<body><center><h1>${line}</h1></center><hr><center>nginx</center></body></html>\n`;
}
