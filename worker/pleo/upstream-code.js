// What of an upstream error may reach a browser or a job record: a code, and
// only when it looks like one. A token endpoint's `error` or Pleo's `type` is
// text from the network; 3 KB of HTML has been seen in an export job's error
// (issue #16). RFC 6749 §5.2 error codes are lower snake case
// (`invalid_grant`); Pleo's types are upper snake case
// (`EXPORT_JOB_STATUS_UNPROCESSABLE`). Anything else is replaced.

const OAUTH_ERROR = /^[a-z][a-z0-9_.-]{0,63}$/;
const PLEO_TYPE = /^[A-Z0-9_]{1,64}$/;

/** `value` when it is an error code in one of those two forms, else "unrecognised". */
export function safeUpstreamCode(value) {
  return typeof value === "string" && (OAUTH_ERROR.test(value) || PLEO_TYPE.test(value)) ? value : "unrecognised";
}

// The core words an export API error as "the export API answered <status> <Pleo's type>".
const ANSWERED = /^(the export API answered \d{3})(?: (.*))?$/s;

/** An export run's error message, with Pleo's type kept only when it is a code. */
export function safeExportErrorMessage(message) {
  if (typeof message !== "string") return null;
  const m = ANSWERED.exec(message);
  if (m) return m[2] === undefined ? m[1] : `${m[1]} ${safeUpstreamCode(m[2])}`;
  return message.length <= 200 && !/[<>\r\n]/.test(message) ? message : "the export run failed";
}
