/*-------------------------------------------------------------------------
 * catalog.h
 *	  Every read and write of mldb.models and mldb.model_versions.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_CATALOG_H
#define MLDB_CATALOG_H

#include "mldb.h"
#include "nodes/pg_list.h"

typedef struct CatalogModel
{
	char	   *name;
	Oid			owner;
	char	   *algorithm;
	char	   *task;
	char	   *relation;
	char	   *target;			/* NULL when unsupervised */
	List	   *features;		/* of String */
	Jsonb	   *options;
	int32		deployed_version;	/* 0 = none */
} CatalogModel;

typedef struct CatalogVersion
{
	const char *model;
	int32		version;
	const char *algorithm;
	int64		rows_used;
	int64		rows_skipped;
	double		train_ms;
	Jsonb	   *metrics;
	Jsonb	   *params;
	Jsonb	   *options;
	bytea	   *state;
	Jsonb	   *feature_stats;
	Jsonb	   *training_info;
	const CatalogModel *spec;	/* relation, target and features trained on */
} CatalogVersion;

extern Oid	catalog_models_relid(void);
extern bool catalog_get_model(const char *name, CatalogModel *out);
extern CatalogModel *catalog_require_model(const char *name);
extern void catalog_check_owner(const CatalogModel *m, const char *action);
extern int32 catalog_begin_version(const CatalogModel *spec, bool *created);
extern void catalog_insert_version(const CatalogVersion *v);
extern void catalog_set_deployed(const char *model, int32 version);
extern Jsonb *catalog_version_jsonb(const char *model, int32 version, const char *column);
extern char *catalog_version_relation(const char *model, int32 version);
extern void catalog_set_version_metrics(const char *model, int32 version, Jsonb *metrics);
extern bytea *catalog_fetch_state(const char *model, int32 version, int32 *version_out);
extern void catalog_drop_model(const char *model);
extern bool catalog_version_has_features(const char *model, int32 version, List *features);
extern void catalog_set_predict_role(const char *model, Oid role, bool grant);
extern int32 catalog_previous_version(const char *model, int32 current);
extern void catalog_log_evaluation(const char *model, int32 version, const char *relation,
								   Jsonb *metrics);
typedef struct CatalogVersionState
{
	int32		version;
	char	   *algorithm;
	bytea	   *state;
} CatalogVersionState;

extern Jsonb *catalog_export(const char *model, const char *format, int format_version);
extern List *catalog_import(const char *name, Jsonb *doc);
extern void mldb_parse_model_ref(const char *ref, char **name, int32 *version);

#endif
