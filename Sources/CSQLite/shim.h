#ifndef TALLY_CSQLITE_SHIM_H
#define TALLY_CSQLITE_SHIM_H

#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a destructor pointer, which Swift does not import.
// Binding with it makes SQLite copy the bytes before the call returns, so a Swift buffer
// borrowed for the call may go away afterwards.
static inline sqlite3_destructor_type tally_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

// sqlite3_config is variadic, which Swift does not import. Turning off memory statistics
// takes a global mutex off every allocation SQLite makes. It must run before SQLite is
// initialised; afterwards it returns SQLITE_MISUSE and changes nothing.
static inline int tally_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
