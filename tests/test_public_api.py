"""The public surface is deliberate: changes to it must update this list."""

import types

import scopejax as sj

PUBLIC = """
AUTO_REUSE AssignError GraphKeys InitializerError InvalidNameError InvalidPatternError
InvalidShapeError MissingRNGError
MultiTransformed NotInTransformError ScopeUsageError ScopejaxError Store StoreError
StoreKeyError TracerLeakError TransformError Transformed UnusedVariablesError Variable
VariableDtypeError VariableExistsError VariableHandle VariableInfo VariableNotFoundError
VariableScope VariableShapeError add_to_collection add_to_collections assign assign_add
assign_sub device get_all_collection_keys get_collection get_collection_ref get_name_scope
get_regularization_loss get_variable Module nn layers getters train get_variable_scope
global_variables initializers
local_variables merge model_variables name_scope next_rng_key stable_hash transform
transform_multi trainable_variables variable_handle variable_scope
scan layer_stack stack_layers unstack_layers vmap remat cond switch checkpoint
sharding ShardingError fixed_size_partitioner variable_axis_size_partitioner
min_max_variable_partitioner summary
""".split()


def test_public_names():
    names = {
        n
        for n in dir(sj)
        if not n.startswith("_")
        and (
            n
            in (
                "initializers",
                "nn",
                "layers",
                "getters",
                "train",
                "checkpoint",
                "sharding",
                "summary",
            )
            or not isinstance(getattr(sj, n), types.ModuleType)
        )
    }
    assert names == set(PUBLIC)


def test_errors_are_builtin_subclasses():
    for n in PUBLIC:
        obj = getattr(sj, n)
        if (
            isinstance(obj, type)
            and issubclass(obj, sj.ScopejaxError)
            and obj is not sj.ScopejaxError
        ):
            assert issubclass(obj, (ValueError, TypeError, KeyError)), n
