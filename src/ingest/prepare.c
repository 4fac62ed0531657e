/*
 * Work taken off the storing thread, for speed only: while a large envelope is parsed on two
 * threads (stix_stream_start), each valid object also gets there what storing it needs from
 * the object alone: its search text, its flow and place rows, and the digest of its text. The
 * one thread that holds the write lock then does less per object.
 *
 * accept() takes this only where the object it stores is exactly the one parsed: its type has
 * no registered rule (a rule may read the transaction or change the object), and the digest
 * only for the text as sent (not one given a created_by_ref). Anywhere else it works them out
 * itself, as it does for objects that come any other way; the rows stored are the same.
 * The memory it took counts toward the batch's arena (request_memory) as if it came from it.
 */
#include "ingest/ingest_int.h"

static bool prepare(json_t *obj, const struct stix_info *info, const char *text, size_t len,
                    void *slot, struct arena *a)
{
    struct ingest_prepared *p = slot;
    struct store_object so = {0};
    size_t before = a->used;
    if (ingest_search_text(obj, info->type, a, &p->search_text) ||
        store_flow_rows(obj, info, a, &so))
        return false; /* out of its memory: the storing thread does it */
    p->flow = so.flow;
    p->placed = so.placed;
    p->n_placed = so.n_placed;
    store_digest(text, len, p->digest);
    p->bytes = a->used - before;
    return true;
}

const struct stix_stream_work ingest_prepare_work = {sizeof(struct ingest_prepared), prepare};
