/* apm-i18n.h: gettext set-up for every translatable message of apmatrix */
#pragma once

#include "config.h"
#include <glib/gi18n-lib.h>

/* Binds the text domain and sets the locale from the environment. Call once, first thing in main(). */
void apm_i18n_init(void);
