// Money as Pleo sends it: `{currency, value}` with `value` in integer minor
// units (896.96 SEK is {"currency":"SEK","value":89696}). Everything here is
// integer and string arithmetic: an amount is never rounded through a float
// (docs/PLEO-API.md, "Export items").

// ISO 4217 minor-unit exponents that differ from the usual 2.
const EXPONENT = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Decimal places of a currency's minor unit (ISO 4217; 2 when unknown). */
export function minorUnitExponent(currency) {
  return typeof currency === "string" && Object.hasOwn(EXPONENT, currency) ? EXPONENT[currency] : 2;
}

/**
 * An integer amount of minor units as a decimal string, e.g.
 * (89696, "SEK") → "896.96", (-5, "EUR") → "-0.05", (1200, "JPY") → "1200".
 * Accepts a safe integer, a bigint or a string of digits; anything else
 * (a float, NaN, a non-safe integer that lost precision) → null.
 */
export function minorUnitsToDecimal(value, currency) {
  let digits;
  if (typeof value === "bigint") digits = value.toString();
  else if (typeof value === "number" && Number.isSafeInteger(value)) digits = String(value);
  else if (typeof value === "string" && /^-?\d{1,30}$/.test(value)) digits = value;
  else return null;
  const negative = digits.startsWith("-");
  if (negative) digits = digits.slice(1);
  digits = digits.replace(/^0+(?=\d)/, "");
  const exponent = minorUnitExponent(currency);
  if (exponent === 0) return `${negative && digits !== "0" ? "-" : ""}${digits}`;
  const padded = digits.padStart(exponent + 1, "0");
  const whole = padded.slice(0, padded.length - exponent);
  const fraction = padded.slice(padded.length - exponent);
  const zero = /^0+$/.test(whole + fraction);
  return `${negative && !zero ? "-" : ""}${whole}.${fraction}`;
}

/** A `{currency, value}` money object, or null when it is not one. */
export function money(object) {
  if (object === null || typeof object !== "object") return null;
  const { currency, value } = object;
  if (typeof currency !== "string" || !/^[A-Z]{3}$/.test(currency)) return null;
  if (minorUnitsToDecimal(value, currency) === null) return null;
  return { currency, value };
}
