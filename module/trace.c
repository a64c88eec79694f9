// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY tracepoints: the one file that defines them (toy_trace.h says
 * which there are and where they fire).
 */

#define CREATE_TRACE_POINTS
#include "toy_trace.h"
