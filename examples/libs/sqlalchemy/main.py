"""SQLAlchemy: an in-memory SQLite engine from a URL, ORM models, queries."""
from sqlalchemy import ForeignKey, String, create_engine, func, select, text
from sqlalchemy.orm import Session, declarative_base, relationship
from sqlalchemy import Column, Integer

Base = declarative_base()


class Author(Base):
    __tablename__ = "author"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    books = relationship("Book", back_populates="author", order_by="Book.title")


class Book(Base):
    __tablename__ = "book"
    id = Column(Integer, primary_key=True)
    title = Column(String(100))
    author_id = Column(ForeignKey("author.id"))
    author = relationship("Author", back_populates="books")


engine = create_engine("sqlite+pysqlite:///:memory:", future=True)
print(engine.dialect.name, engine.dialect.driver)
Base.metadata.create_all(engine)
with Session(engine) as s:
    s.add_all([Author(name="Austen", books=[Book(title="Emma"), Book(title="Persuasion")]),
               Author(name="Joyce", books=[Book(title="Ulysses")])])
    s.commit()
    for a in s.scalars(select(Author).order_by(Author.name)):
        print(a.name, [b.title for b in a.books])
    print(s.execute(select(Author.name, func.count(Book.id)).join(Book).group_by(Author.name)
                    .order_by(Author.name)).all())
    print(s.execute(text("select upper(title) from book where id = :i"), {"i": 3}).scalar_one())
print(str(select(Book.title).where(Book.title.like("E%"))).replace("\n", " "))
