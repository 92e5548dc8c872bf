"""The clinical knowledge base: YAML data files and the schema that validates them."""

from microneedling.knowledge.loader import (
    SHIPPED_PATH,
    KnowledgeBase,
    load_knowledge_base,
    shipped_knowledge_base,
)

__all__ = ["SHIPPED_PATH", "KnowledgeBase", "load_knowledge_base", "shipped_knowledge_base"]
