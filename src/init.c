/* The one registration table of exportres' .Call entry points: exact argument
 * counts, dynamic symbols off, symbols forced (R side: .Call(C_name, ...)). */
#include "exportres.h"
#include <R_ext/Rdynload.h>

/* Prototypes of the entry points are in exportres.h, by source file. */

#define CALLDEF(name, n) {#name, (DL_FUNC) &name, n}

static const R_CallMethodDef call_entries[] = {
    /* fixed effects */
    CALLDEF(fe_demean, 7),
    CALLDEF(ols_fit, 5),
    CALLDEF(collinear_keep, 4),
    CALLDEF(score_meat, 3),
    /* design builder */
    CALLDEF(group_codes_count, 1),
    CALLDEF(nonfinite_count, 1),
    CALLDEF(singleton_keep, 1),
    /* binary choice */
    CALLDEF(binary_fit, 6),
    /* measures */
    CALLDEF(entropy_index_c, 5),
    CALLDEF(pca_index_c, 2),
    /* stochastic frontier */
    CALLDEF(sfa_loglik, 7),
    CALLDEF(sfa_fit, 8),
    CALLDEF(sfa_efficiency, 7),
    CALLDEF(sfa_scores, 7),
    CALLDEF(sfo_fit, 4),
    CALLDEF(sfo_eval_at, 5),
    /* DEA */
    CALLDEF(exr_lp_dense, 4),
    CALLDEF(dea_envelopment, 11),
    CALLDEF(dea_fdh, 9),
    {NULL, NULL, 0}
};

void R_init_exportres(DllInfo *dll)
{
    R_registerRoutines(dll, NULL, call_entries, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
}
