using Microsoft.Data.Sqlite;

namespace ChatOps.Embedded.Sqlite.Internal;

internal static class SqliteErrors
{
    private const int Constraint = 19;
    private const int ConstraintForeignKey = 787;
    private const int ConstraintPrimaryKey = 1555;
    private const int ConstraintUnique = 2067;

    public static bool IsForeignKeyViolation(SqliteException exception) =>
        exception.SqliteErrorCode == Constraint && exception.SqliteExtendedErrorCode == ConstraintForeignKey;

    public static bool IsUniqueViolation(SqliteException exception) =>
        exception.SqliteErrorCode == Constraint
        && exception.SqliteExtendedErrorCode is ConstraintUnique or ConstraintPrimaryKey;
}
