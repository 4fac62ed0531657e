/*
 * Private to src/audit/: the disclosure record's format (disclosure.c) as the one writer
 * (ticket.c) builds it.
 */
#ifndef LIAISON_AUDIT_INT_H
#define LIAISON_AUDIT_INT_H

#include "audit/audit.h"

/* One entry of a ticket: the versions of one collection sent through one endpoint. */
struct audit_part {
    char *collection;
    char *endpoint;
    size_t count;
    int64_t prev;       /* the last key added */
    struct dbuf keys;   /* varints of the zigzag deltas between successive keys */
    struct dbuf digest; /* "id\nmodified\n" of each version, hashed when the detail is made */
    char *detail;       /* the entry's detail, made when it is committed; then keys and digest
                           are released */
};

/* Adds rows[0..n) to p. */
int audit_part_add(struct audit_part *p, const struct store_row *rows, size_t n);
/* Makes p->detail (once): the record's members, partner, then notes (",\"k\":v..." or NULL). */
int audit_part_detail(struct audit_part *p, const char *partner, const char *notes);
void audit_part_release(struct audit_part *p);

/* The action of the entries of a route, and whether an action names a disclosure. */
const char *audit_route_action(enum audit_route route);
bool audit_action_discloses(const char *action);
#define AUDIT_WITHDRAW "objects.withdraw"

#endif
