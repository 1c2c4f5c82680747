"""The item pipeline, one module per concern, in this order:

normalise → validate → language → relevance → figures → dedup → store.
"""

PIPELINE_ORDER = {
    "dvk_crawl.pipelines.normalise.NormalisePipeline": 100,
    "dvk_crawl.pipelines.validate.ValidatePipeline": 200,
    "dvk_crawl.pipelines.language.LanguagePipeline": 300,
    "dvk_crawl.pipelines.relevance.RelevancePipeline": 400,
    "dvk_crawl.pipelines.figures.FiguresPipeline": 450,
    "dvk_crawl.pipelines.dedup.DedupPipeline": 500,
    "dvk_crawl.pipelines.store.StorePipeline": 600,
}
