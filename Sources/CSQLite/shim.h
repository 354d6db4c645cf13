#ifndef TALLY_CSQLITE_SHIM_H
#define TALLY_CSQLITE_SHIM_H

#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a destructor pointer, which Swift does not import.
// Binding with it makes SQLite copy the bytes before the call returns, so a Swift buffer
// borrowed for the call may go away afterwards.
static inline sqlite3_destructor_type tally_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

#endif
