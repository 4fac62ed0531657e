// /object/{id}: an object known by id only (an RFI's "about" and answer refs) opened in
// the first collection, among those the principal may read, that holds a version of it
// the principal may see. Nothing found answers "not found", like an absent object.
import { fill } from '../dom.js';
import { taxii } from '../api.js';
import { loading } from '../ui.js';

export default {
  match: /^\/object\/(?<oid>[^/]+)\/?$/,
  async render(main, { oid }, ctx) {
    fill(main, loading());
    const res = await taxii.collections();
    for (const c of (res && res.collections) || []) {
      if (!c.can_read) continue;
      const env = await taxii.object(c.id, oid).catch(() => null);
      if (!ctx.isCurrent()) return;
      if (env && env.objects && env.objects.length)
        return ctx.navigate('/collections/' + encodeURIComponent(c.id) + '/objects/' + encodeURIComponent(oid), true);
    }
    throw Object.assign(new Error('not found'), { status: 404 });
  },
};
