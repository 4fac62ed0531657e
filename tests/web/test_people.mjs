// The people's desk (docs/people.md, docs/web.md): a person signs in with name and password
// (a wrong password and a lock-out said in words), sees a version held for four eyes, is
// refused approving it as an analyst and as its own author, a rejection needs a reason, a
// second person (a releaser) approves it and the partner then reads it through TAXII; the
// review queue lists an object past its review date, an extension needs a reason and takes
// it off the queue, a deletion needs the confirmation and revokes the object; a person enrolled
// in TOTP signs in with the authenticator's code only (none, a wrong one, a replay refused).
// Screenshots 70-76.
import { randomUUID, createHmac } from 'node:crypto';
import { run, step, assert, cli, shot, setLang } from './lib.mjs';

const AMBER_STRICT = 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003';
const PASSWORD = 'a long passphrase for the desk';
const lastLine = (x) => x.trim().split('\n').pop().trim();

await run(import.meta.url, async ({ s, w, page, seen }) => {
  const d = s.data;
  const people = {};
  for (const [name, role] of [['amina', 'analyst'], ['karim', 'releaser'], ['salma', 'releaser'], ['locked', 'analyst']]) {
    const code = lastLine(cli('user', 'add', '--data', d, '--name', name, '--role', role));
    const r = await fetch(s.base + '/liaison/signin', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, code, new_password: PASSWORD }) });
    assert(r.status === 200, 'first sign-in of ' + name + ': ' + r.status);
    people[name] = (await r.json()).token;
  }
  const me = (await s.api('GET', '/liaison/whoami')).json;
  const held = (name) => ({ type: 'threat-actor', spec_version: '2.1', id: 'threat-actor--' + randomUUID(), created: '2026-03-01T00:00:00.000Z',
    modified: '2026-03-01T00:00:00.000Z', name, threat_actor_types: ['terrorist'], created_by_ref: me.identity, object_marking_refs: [AMBER_STRICT] });
  // karim writes one (he may not approve it), amina another (an analyst may not approve; karim may).
  const byKarim = held('Courier network Kidal');
  const byAmina = held('Logistics cell Menaka');
  await s.post('cells', [byKarim], people.karim);
  await s.post('cells', [byAmina], people.amina);
  const partnerSees = async (o) => {
    const r = await s.api('GET', `/taxii2/default/collections/cells/objects/${o.id}/`, w.tokens.Paris);
    return r.status === 200 && (r.json.objects || []).length > 0;
  };

  await step('a wrong password and a lock-out are said in words', async () => {
    await page.goto(s.base + '/signin');
    await page.fill('#person-name', 'locked');
    await page.fill('#person-password', 'not the password');
    await page.click('#person-submit');
    await page.waitForFunction(() => /refused/.test(document.querySelector('#person-error').textContent));
    for (let i = 0; i < 5; i++) await s.json('POST', '/liaison/signin', '', { name: 'locked', password: 'wrong again' });
    await page.fill('#person-password', PASSWORD);
    await page.click('#person-submit');
    await page.waitForFunction(() => /locked/.test(document.querySelector('#person-error').textContent));
    assert(await page.$('#role') === null, 'not signed in');
  });

  const signInAs = async (name) => {
    await page.goto(s.base + '/signin');
    await page.fill('#person-name', name);
    await page.fill('#person-password', PASSWORD);
    await page.click('#person-submit');
    await page.waitForSelector('#role-person');
    assert((await page.textContent('#role')).includes(name), 'the header names ' + name);
  };
  const row = (o) => `#releases tr[data-id="${o.id}"]`;

  await step('a new person signs in the first time on the page with the one-time code', async () => {
    const code = lastLine(cli('user', 'add', '--data', d, '--name', 'nadia', '--role', 'analyst'));
    const first = async (c, p1, p2) => {
      await page.goto(s.base + '/signin');
      await page.fill('#person-name', 'nadia');
      await page.check('#person-first');
      assert(await page.isHidden('#person-password'), 'the password field gives way to the code');
      await page.fill('#person-code', c);
      await page.fill('#person-new', p1);
      await page.fill('#person-new2', p2);
      await page.click('#person-submit');
    };
    await first(code, PASSWORD, PASSWORD + 'x');
    await page.waitForFunction(() => /differ/.test(document.querySelector('#person-error').textContent));
    await first('not-the-code', PASSWORD, PASSWORD);
    await page.waitForFunction(() => /one-time code is wrong/.test(document.querySelector('#person-error').textContent));
    await first(code, PASSWORD, PASSWORD);
    await page.waitForSelector('#role-person');
    assert((await page.textContent('#role')).includes('nadia'), 'signed in as nadia');
    await page.click('#sign-out');
    // the code is spent; the new password is hers from now on
    await first(code, PASSWORD, PASSWORD);
    await page.waitForFunction(() => /refused/.test(document.querySelector('#person-error').textContent));
    await signInAs('nadia');
    await page.click('#sign-out');
  });

  await step('an analyst signs in and is refused approving', async () => {
    await signInAs('amina');
    await page.click('nav a[href="/releases"]');
    await page.waitForSelector(row(byAmina));
    assert(await page.$(row(byKarim)), 'both held versions are listed');
    assert(!(await partnerSees(byAmina)) && !(await partnerSees(byKarim)), 'held from the partner');
    await page.click(`${row(byKarim)} button.approve`);
    await page.waitForFunction(() => document.querySelector('#release-msg').textContent.includes('Refused'));
    const said = await page.textContent('#release-msg');
    assert(/analyst/i.test(said), 'the server says why: ' + said);
    await shot(page, '70-releases-refused');
    await page.click('#sign-out');
  });

  await step('a releaser: not his own; a rejection needs a reason; approving another releases it', async () => {
    await signInAs('karim');
    await page.goto(s.base + '/releases');
    await page.waitForSelector(row(byKarim));
    await page.click(`${row(byKarim)} button.approve`);
    await page.waitForFunction(() => document.querySelector('#release-msg').textContent.includes('Refused'));
    assert(/wrote this version/.test(await page.textContent('#release-msg')), 'own object: ' + await page.textContent('#release-msg'));
    await page.click(`${row(byKarim)} button.reject`);
    await page.waitForFunction(() => /needs a reason/.test(document.querySelector('#release-msg').textContent));
    assert(await page.$(row(byKarim)), 'still pending');
    await page.click(`${row(byAmina)} button.approve`);
    await page.waitForFunction(() => /Approved/.test(document.querySelector('#release-msg').textContent));
    await page.waitForFunction((id) => !document.querySelector(`#releases tr[data-id="${id}"]`), byAmina.id);
    assert(await partnerSees(byAmina), 'the partner reads the approved version');
    assert(!(await partnerSees(byKarim)), 'the other stays held');
    const rel = (await s.json('GET', '/liaison/releases?state=approved')).json.releases.find((r) => r.id === byAmina.id);
    assert(rel && /karim/.test(rel.decided_by), 'approved by karim on record: ' + JSON.stringify(rel));
    await shot(page, '71-releases-approved');
  });

  await step('salma rejects with a reason; the page in Arabic', async () => {
    await page.click('#sign-out');
    await signInAs('salma');
    await page.goto(s.base + '/releases');
    await setLang(page, 'ar');
    await page.waitForSelector(row(byKarim));
    await page.click(`${row(byKarim)} button.reject`);
    await page.waitForFunction(() => document.querySelector('#release-msg').textContent.includes('سبب'));
    await page.fill(`${row(byKarim)} input.release-reason`, 'Source at risk — المصدر في خطر');
    await page.click(`${row(byKarim)} button.reject`);
    await page.waitForSelector('#no-releases');
    const rel = (await s.json('GET', '/liaison/releases?state=rejected')).json.releases.find((r) => r.id === byKarim.id);
    assert(rel && rel.reason.includes('المصدر'), 'rejected with the reason: ' + JSON.stringify(rel));
    assert(!(await partnerSees(byKarim)), 'a rejected version stays held');
    await shot(page, '72-releases-ar');
    await setLang(page, 'en');
  });

  await step('the review queue: an object past review; extend needs a reason; delete needs the confirmation', async () => {
    cli('review', 'policy', '--data', d, '--collection', 'sahel', '--every', '1s', '--retain', '1825d', '--handling-code', 'H2', '--legal-basis', 'test');
    await new Promise((r) => setTimeout(r, 1500));
    const queue = (await s.json('GET', '/liaison/review?collection=sahel')).json.objects;
    assert(queue.length === 2 && queue.every((o) => o.state === 'due'), 'two objects due: ' + JSON.stringify(queue));
    await page.click('nav a[href="/review"]');
    await page.waitForSelector(`#review tr[data-id="${queue[0].id}"]`);
    assert((await page.$$('#review tbody tr[data-state="due"]')).length >= 2, 'listed as due');
    const r0 = `#review tr[data-id="${queue[0].id}"]`, r1 = `#review tr[data-id="${queue[1].id}"]`;
    await page.click(`${r0} button.extend`);
    await page.waitForFunction(() => /reason/.test(document.querySelector('#review-msg').textContent));
    await page.fill(`${r0} input.review-reason`, 'Still relevant to the Menaka case');
    await page.fill(`${r0} input.review-days`, '30');
    await page.click(`${r0} button.extend`);
    await page.waitForFunction((id) => !document.querySelector(`#review tr[data-id="${id}"]`), queue[0].id);
    await page.fill(`${r1} input.review-reason`, 'No longer needed');
    await page.click(`${r1} button.delete`);
    await page.waitForFunction(() => /confirmation/.test(document.querySelector('#review-msg').textContent));
    assert(await page.$(r1), 'nothing deleted without the confirmation');
    await page.check(`${r1} input.review-sure`);
    await page.click(`${r1} button.delete`);
    await page.waitForSelector('#no-review');
    const after = (await s.json('GET', '/liaison/review?collection=sahel&all=true')).json.objects;
    const ext = after.find((o) => o.id === queue[0].id);
    assert(ext && /salma/.test(ext.extended_by || ''), 'extended by salma: ' + JSON.stringify(after));
    const gone = await s.api('GET', `/taxii2/default/collections/sahel/objects/${queue[1].id}/`);
    assert(gone.status === 200 && gone.json.objects[0].revoked === true && !gone.json.objects[0].name, 'a revocation stub: ' + JSON.stringify(gone.json));
    await shot(page, '73-review');
  });

  await step('the review actions refuse bad input and leave the object as it was', async () => {
    const o = w.obj.aqim.id;
    const url = (verb) => `/liaison/review/cells/${o}/${verb}`;
    const cases = [
      [people.amina, 'extend', { days: 30 }, 400],                 // no reason
      [people.amina, 'extend', { days: 0, reason: 'x' }, 422],     // days out of range
      [people.amina, 'extend', { days: '30', reason: 'x' }, 422],  // days not a number
      [people.amina, 'delete', { reason: 'not mine to delete' }, 403], // an analyst
      [people.salma, 'delete', {}, 400],                           // no reason
      [undefined, 'delete', { reason: 'automation' }, 403],         // the automation token
      [w.tokens.Paris, 'delete', { reason: 'a partner' }, 404],
    ];
    for (const [tok, verb, body, want] of cases) {
      const r = await s.json('POST', url(verb), tok, body);
      assert(r.status === want, `${verb} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.json)}, wanted ${want}`);
    }
    const g = await s.json('GET', url('extend'), people.salma);
    assert(g.status === 405, 'GET is not allowed: ' + g.status);
    const nope = await s.json('POST', `/liaison/review/cells/threat-actor--00000000-0000-4000-8000-000000000000/delete`, people.salma, { reason: 'x' });
    assert(nope.status === 404, 'an unknown object: ' + nope.status);
    const still = await s.api('GET', `/taxii2/default/collections/cells/objects/${o}/`);
    assert(still.status === 200 && still.json.objects[0].name === w.obj.aqim.name && !still.json.objects[0].revoked, 'unchanged');
  });

  // RFC 6238 (SHA-1, 6 digits, 30 s) from the base32 key `user totp` prints: what an
  // authenticator app shows at time ms.
  const totpAt = (key, ms) => {
    let bits = '';
    for (const ch of key.replace(/=+$/, '')) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch).toString(2).padStart(5, '0');
    const secret = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.floor(ms / 30000)));
    const mac = createHmac('sha1', secret).update(counter).digest();
    const o = mac[19] & 15;
    return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
  };

  await step('a person enrolled in TOTP signs in with the code, never without it or with it twice', async () => {
    const code = lastLine(cli('user', 'add', '--data', d, '--name', 'yusuf', '--role', 'releaser'));
    const first = await s.json('POST', '/liaison/signin', '', { name: 'yusuf', code, new_password: PASSWORD });
    assert(first.status === 200, 'first sign-in of yusuf: ' + first.status);
    const key = lastLine(cli('user', 'totp', '--data', d, '--name', 'yusuf'));
    assert(/^[A-Z2-7]{16,}=*$/.test(key), 'a base32 key: ' + key);
    await page.goto(s.base + '/');
    await page.click('#sign-out'); // salma's session, from the steps above
    await page.waitForSelector('#person-name');
    const attempt = async (totp) => {
      await page.goto(s.base + '/signin');
      await page.fill('#person-name', 'yusuf');
      await page.fill('#person-password', PASSWORD);
      await page.fill('#person-totp', totp);
      await page.click('#person-submit');
      await page.waitForFunction(() => document.querySelector('#role-person')
        || /refused|locked/i.test(document.querySelector('#person-error').textContent));
      return (await page.$('#role-person')) !== null;
    };
    assert(!(await attempt('')), 'no code: refused');
    const now = Date.now();
    const wrong = String((Number(totpAt(key, now)) + 500000) % 1000000).padStart(6, '0');
    assert(!(await attempt(wrong)), 'a wrong code: refused');
    const good = totpAt(key, now);
    assert(await attempt(good), 'the code of the authenticator signs in');
    assert((await page.textContent('#role')).includes('yusuf'), 'the header names yusuf');
    await shot(page, '76-signed-in-with-totp');
    await page.click('#sign-out');
    // the same step again (a code seen over a shoulder or replayed): refused
    const replay = await s.json('POST', '/liaison/signin', '', { name: 'yusuf', password: PASSWORD, totp: good });
    assert(replay.status === 401, 'a replayed code is refused: ' + replay.status);
  });

  await step('no console problems but the refusals', async () => {
    assert(seen.problems.filter((p) => !/status of (401|403|429)/.test(p)).length === 0, 'console problems:\n' + seen.problems.join('\n'));
  });
});
