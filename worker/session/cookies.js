// Sealed cookies: AES-256-GCM with a key derived by HKDF-SHA-256 from
// SESSION_SECRET (WebCrypto only, so the same code runs on workerd and Node).
// Each cookie name derives its own key and is bound as additional
// authenticated data, so a login-transaction cookie can never be replayed
// as a session cookie or the other way round.

export const SESSION_COOKIE = "__Host-pleo_session";
export const LOGIN_COOKIE = "__Host-pleo_login";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keyCache = new Map();

export function base64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** 256 bits from the CSPRNG, base64url (43 chars). Call inside a request only. */
export function randomId() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function cookieKey(secret, name) {
  const cacheKey = `${name}\u0000${secret}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = (async () => {
      const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: encoder.encode("pleo-oauth worker cookie v1"), info: encoder.encode(name) },
        material,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** Encrypts and authenticates `payload` (JSON) for the cookie `name`; `exp` (ms epoch) is enforced on open. */
export async function seal(secret, name, payload, exp) {
  const key = await cookieKey(secret, name);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = encoder.encode(JSON.stringify({ exp, v: payload }));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(name) }, key, plaintext),
  );
  return `v1.${base64url(iv)}.${base64url(ciphertext)}`;
}

/** The payload, or null when the value is missing, tampered with, sealed for another cookie, or expired. */
export async function unseal(secret, name, value, now = Date.now()) {
  if (typeof value !== "string" || value.length > 4096) return null;
  const parts = value.split(".");
  if (parts.length !== 3 || parts[0] !== "v1") return null;
  try {
    const key = await cookieKey(secret, name);
    const iv = fromBase64url(parts[1]);
    if (iv.length !== 12) return null;
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(name) },
      key,
      fromBase64url(parts[2]),
    );
    const { exp, v } = JSON.parse(decoder.decode(plaintext));
    if (typeof exp !== "number" || exp <= now) return null;
    return v;
  } catch {
    return null;
  }
}

export function readCookie(request, name) {
  const header = request.headers.get("Cookie");
  if (!header) return null;
  let found = null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      // A duplicated cookie name is ambiguous (cookie tossing): trust neither.
      if (found !== null) return null;
      found = part.slice(eq + 1).trim();
    }
  }
  return found;
}

/**
 * `__Host-` cookies: Secure, Path=/, no Domain (the browser enforces all
 * three for the prefix). HttpOnly always; SameSite as given.
 */
export function setCookie(name, value, { maxAgeSeconds, sameSite }) {
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=${sameSite}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}

export function clearCookie(name, sameSite) {
  return `${name}=; Path=/; Secure; HttpOnly; SameSite=${sameSite}; Max-Age=0`;
}
