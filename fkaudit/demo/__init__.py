"""The example shop schema that `fkaudit demo` loads."""
