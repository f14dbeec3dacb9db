import PostgresNIO
import SubImport
