/* The one registration table of exportres' .Call entry points: exact argument
 * counts, dynamic symbols off, symbols forced (R side: .Call(C_name, ...)). */
#include "exportres.h"
#include <R_ext/Rdynload.h>

/* Prototypes of entry points, by source file. */

/* ---- fixed effects: demean.c, vcov.c, linalg.c, panel.c (foundation) ---- */

/* ---- measures: measure.c (data issue) ---------------------------------- */

/* ---- stochastic frontier: sfa.c (SFA issue) ----------------------------- */

/* ---- DEA: simplex.c, dea.c (DEA issue) ---------------------------------- */

#define CALLDEF(name, n) {#name, (DL_FUNC) &name, n}

static const R_CallMethodDef call_entries[] = {
    /* fixed effects */
    /* measures */
    CALLDEF(entropy_index_c, 5),
    CALLDEF(pca_index_c, 2),
    /* stochastic frontier */
    /* DEA */
    {NULL, NULL, 0}
};

void R_init_exportres(DllInfo *dll)
{
    R_registerRoutines(dll, NULL, call_entries, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
}
