/**
 * The dashboard's HTML body: header with the token field, the alert
 * banner, the cluster summary, member cards, leader history, charts,
 * storage figures and the key browser. The script fills it in.
 *
 * @module
 */

/** The `<body>` content of the dashboard page. */
export const DASHBOARD_BODY = String.raw`
<header>
  <h1>rafter</h1>
  <span>node <b id="node-id">?</b></span>
  <span id="conn" class="pill down">connecting</span>
  <span class="grow"></span>
  <form id="token-form">
    <input id="token" type="password" placeholder="token (when auth is on)" autocomplete="off">
    <button type="submit">Use token</button>
  </form>
</header>
<main>
  <div id="banner" class="banner" role="alert" hidden></div>
  <section class="live">
    <h2>Cluster</h2>
    <div class="summary">
      <span>leader <b id="leader">?</b></span>
      <span>term <b id="term">?</b></span>
      <span>commit <b id="commit">?</b></span>
      <span>applied <b id="applied">?</b></span>
      <span>leader changes (10 min) <b id="changes">0</b></span>
    </div>
  </section>
  <section class="live">
    <h2>Members</h2>
    <div id="members" class="members"></div>
  </section>
  <section class="live">
    <h2>Load (last 2 minutes; reads and writes served by this node)</h2>
    <div class="charts">
      <div class="chart">
        <div class="legend"><span><i style="background:var(--write)"></i>writes/s <b id="writes-now">0</b></span><span><i style="background:var(--read)"></i>reads/s <b id="reads-now">0</b></span><span><i style="background:var(--lead)"></i>committed/s (cluster) <b id="commits-now">0</b></span><span>max <b id="ops-max">0</b></span></div>
        <svg id="ops-chart" viewBox="0 0 240 100" preserveAspectRatio="none" aria-label="operations per second"></svg>
      </div>
      <div class="chart">
        <div class="legend"><span><i style="background:var(--write)"></i>write p99 ms <b id="write-p99">0</b></span><span><i style="background:var(--read)"></i>read p99 ms <b id="read-p99">0</b></span><span>max <b id="p99-max">0</b></span></div>
        <svg id="p99-chart" viewBox="0 0 240 100" preserveAspectRatio="none" aria-label="p99 latency"></svg>
      </div>
    </div>
  </section>
  <section class="live">
    <h2>Leaders seen</h2>
    <ol id="leaders" class="leaders" reversed></ol>
  </section>
  <section class="live">
    <h2>Storage</h2>
    <div class="summary">
      <span>WAL <b id="wal-bytes">?</b></span>
      <span>snapshot <b id="snap-bytes">?</b></span>
      <span>snapshot index <b id="snap-index">?</b></span>
      <span>last log index <b id="last-index">?</b></span>
    </div>
  </section>
  <section class="keys">
    <h2>Keys</h2>
    <form id="keys-form">
      <input id="prefix" placeholder="prefix (empty: every key)" autocomplete="off">
      <button type="submit">List</button>
      <button type="button" id="keys-prev" disabled>Previous</button>
      <button type="button" id="keys-next" disabled>Next</button>
    </form>
    <div id="keys-note" class="note"></div>
    <div class="table"><table><thead><tr><th>key</th><th>value</th><th>mod index</th></tr></thead><tbody id="keys-rows"></tbody></table></div>
  </section>
</main>
`;
