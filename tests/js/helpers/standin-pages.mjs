// The stand-in's login and consent pages, pressed through as a user would.

/**
 * On the stand-in: log in if asked, pick a company when given, then allow
 * (or deny) on the consent page, and wait to be back on `base`.
 * @param {import("playwright-core").Page} page
 * @param {{ base: string, company?: number|string, deny?: boolean }} options
 */
export async function passStandin(page, { base, company, deny = false }) {
  await page.waitForSelector("form#login, form#consent");
  if (await page.$("form#login")) {
    await page.click("form#login button[type=submit]");
    await page.waitForSelector("form#consent");
  }
  if (company !== undefined) await page.check(`form#consent input#company-${company}`);
  await page.click(deny ? "form#consent button[value=deny]" : "form#consent button[value=allow]");
  await page.waitForURL((url) => url.href.startsWith(`${base}/`));
  await page.waitForLoadState("load");
}
