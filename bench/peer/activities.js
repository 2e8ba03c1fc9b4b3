/**
 * The peer's tool activities: the same GETs to the demo services as the benchmark's baselines make
 * (`bench/activities.ts`), returning the JSON body for the model.
 */

/** @param {string} servicesUrl */
function createActivities(servicesUrl) {
  const base = servicesUrl.replace(/\/+$/, '');
  /** @param {string} path @param {Record<string, string>} query */
  async function get(path, query) {
    const url = new URL(base + path);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    const body = await response.json();
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(body)}`);
    return body;
  }
  return {
    /** @param {{ city: string }} input */
    getWeather: (input) => get('/weather', input),
    /** @param {{ from: string, to: string, date: string }} input */
    searchFlights: (input) => get('/flights', input),
  };
}

module.exports = { createActivities };
