package graphsvc;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.graphx.Edge;
import org.apache.spark.graphx.Graph;
import org.apache.spark.graphx.lib.ConnectedComponents;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * GraphX algorithms for graphsvc's Spark engine, callable from PySpark through py4j.
 * Edges come in as a DataFrame of long columns (src, dst); results go out as DataFrames.
 * Built by graphsvc.engines.bridge with javac against pyspark's own jars.
 */
public final class GraphxBridge {
    private static final ClassTag<Object> ANY = ClassTag$.MODULE$.Any();

    private GraphxBridge() {}

    private static Graph<Object, Object> graph(Dataset<Row> edges) {
        JavaRDD<Edge<Object>> rdd = edges.select("src", "dst").toJavaRDD()
            .map(row -> new Edge<Object>(row.getLong(0), row.getLong(1), (Object) 1));
        StorageLevel level = StorageLevel.MEMORY_AND_DISK();
        return Graph.fromEdges(rdd.rdd(), (Object) 0L, level, level, ANY, ANY);
    }

    /** (id, component): the smallest vertex id of each vertex's connected component. */
    public static Dataset<Row> connectedComponents(Dataset<Row> edges, int maxIterations) {
        Graph<Object, Object> result =
            ConnectedComponents.run(graph(edges), maxIterations, ANY, ANY);
        JavaRDD<Row> rows = result.vertices().toJavaRDD()
            .map(pair -> RowFactory.create((Long) ((Tuple2<?, ?>) pair)._1(),
                                           (Long) ((Tuple2<?, ?>) pair)._2()));
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("id", DataTypes.LongType, false));
        fields.add(DataTypes.createStructField("component", DataTypes.LongType, false));
        SparkSession spark = edges.sparkSession();
        return spark.createDataFrame(rows, DataTypes.createStructType(fields));
    }
}
