/* The one registration table of exportres' .Call entry points: exact argument
 * counts, dynamic symbols off, symbols forced (R side: .Call(C_name, ...)). */
#include "exportres.h"
#include <R_ext/Rdynload.h>

/* Prototypes of the entry points are in exportres.h, by source file. */

#define CALLDEF(name, n) {#name, (DL_FUNC) &name, n}

static const R_CallMethodDef call_entries[] = {
    /* fixed effects */
    CALLDEF(fe_demean, 7),
    CALLDEF(fe_solve, 8),
    CALLDEF(ols_fit, 5),
    CALLDEF(collinear_keep, 4),
    CALLDEF(collinear_keep_xtx, 3),
    CALLDEF(score_meat, 3),
    /* design builder */
    CALLDEF(group_codes_count, 1),
    CALLDEF(finite_scan, 1),
    CALLDEF(singleton_keep, 1),
    CALLDEF(panel_order, 3),
    /* binary choice */
    CALLDEF(binary_fit, 6),
    /* instrumental variables and selection */
    CALLDEF(iv_fit, 6),
    CALLDEF(heckman_boot, 11),
    CALLDEF(iv_kp_meat, 10),
    /* matching */
    CALLDEF(nn_match, 8),
    CALLDEF(balance_sums, 3),
    /* placebo tests and random draws */
    CALLDEF(rng_permutations, 2),
    CALLDEF(placebo_run, 13),
    /* resampling */
    CALLDEF(draw_cluster_counts, 2),
    CALLDEF(draw_permutations, 3),
    CALLDEF(resample_fe_ls, 9),
    /* staggered adoption */
    CALLDEF(attgt_layout, 6),
    CALLDEF(attgt_reshape, 8),
    CALLDEF(attgt_units, 6),
    CALLDEF(attgt_cells, 9),
    CALLDEF(attgt_mboot, 4),
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
    /* dynamic-panel GMM */
    CALLDEF(gmm_layout, 2),
    CALLDEF(gmm_moments, 11),
    CALLDEF(gmm_residual, 13),
    CALLDEF(gmm_windmeijer, 13),
    CALLDEF(gmm_ar, 15),
    /* wild cluster bootstrap */
    CALLDEF(wildboot_setup, 14),
    CALLDEF(wildboot_draws, 6),
    CALLDEF(wildboot_wre_moments, 6),
    CALLDEF(wildboot_wre_eval, 5),
    CALLDEF(wildboot_pvalues, 5),
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
