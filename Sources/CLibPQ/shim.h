#ifndef TONGXIN_CLIBPQ_SHIM_H
#define TONGXIN_CLIBPQ_SHIM_H
#include <libpq-fe.h>
/* eventfd wakes a connection's thread; Glibc's Swift module does not export it. */
#include <sys/eventfd.h>
#endif
