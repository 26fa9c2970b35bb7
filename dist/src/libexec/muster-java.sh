# Sourced by the launchers in bin/ after they set MUSTER_HOME; not a command of its own.
# Picks the java binary and prepares what every launcher shares.

if [ -n "${JAVA_HOME:-}" ]; then
  JAVA=$JAVA_HOME/bin/java
else
  JAVA=java
fi
if ! command -v "$JAVA" >/dev/null 2>&1; then
  echo "$(basename "$0"): no java at '$JAVA' (set JAVA_HOME to a JDK or JRE 17 or later)" >&2
  exit 1
fi

# JAVA_OPTS is split on blanks like any JAVA_OPTS; never expand * or ? in it
set -f
